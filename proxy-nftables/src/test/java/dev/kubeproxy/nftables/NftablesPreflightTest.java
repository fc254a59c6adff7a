package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Upstream refuses nftables mode on kernels before 5.13 and with nft before 1.0.1. */
class NftablesPreflightTest {
  private static CommandRunner nftPrinting(String version) {
    return command -> new CommandResult(0, version + "\n", "");
  }

  @Test
  @DisplayName("kernel 6.18 with nft 1.0.6 is fine; 5.10 is refused unless the upstream bypass variable is set")
  void kernelVersion() {
    CommandRunner nft = nftPrinting("nftables v1.0.6 (Lester Gooch #5)");
    assertThat(NftablesPreflight.problem("6.18.44-fc-v669", false, nft)).isEmpty();
    assertThat(NftablesPreflight.problem("5.13.0", false, nft)).isEmpty();
    assertThat(NftablesPreflight.problem("5.10.0-28-amd64", false, nft))
        .get().asString().contains("kernel 5.13 or newer").contains("5.10.0-28-amd64");
    assertThat(NftablesPreflight.problem("5.10.0-28-amd64", true, nft)).isEmpty();
  }

  @Test
  @DisplayName("nft older than 1.0.1, or no nft at all, is refused with the reason")
  void nftVersion() {
    assertThat(NftablesPreflight.problem("6.1.0", false, nftPrinting("nftables v0.9.8 (E.D.S.)")))
        .get().asString().contains("nft 1.0.1 or newer");
    assertThat(NftablesPreflight.problem("6.1.0", false, nftPrinting("nftables v1.0.1 (Fearless Fosdick #3)")))
        .isEmpty();
    CommandRunner missing =
        command -> {
          throw new CommandException(command, "could not start: No such file", null);
        };
    assertThat(NftablesPreflight.problem("6.1.0", false, missing)).get().asString().contains("needs the nft tool");
  }
}
