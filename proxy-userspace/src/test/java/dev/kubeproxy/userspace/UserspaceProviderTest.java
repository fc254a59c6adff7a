package dev.kubeproxy.userspace;

import static dev.kubeproxy.api.testing.TableFixtures.ip;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The userspace mode's preflight: embedded needs nothing, node mode root and nft. */
class UserspaceProviderTest {
  private final List<String> ran = new ArrayList<>();

  private BackendContext host(String uid, boolean nft) {
    CommandRunner runner = command -> {
      ran.add(String.join(" ", command.argv()));
      if (command.argv().get(0).equals("id")) {
        return new CommandResult(0, uid + "\n", "");
      }
      if (!nft) {
        throw new CommandException(command, "cannot run nft", null);
      }
      return new CommandResult(0, "nftables v1.0.6 (Lester Gooch #5)\n", "");
    };
    return new BackendContext(runner, System::nanoTime, "6.1.0", ImmutableMap.of());
  }

  @Test
  void embeddedNeedsNothingAndRunsNoCommand() {
    UserspaceProvider provider = UserspaceProvider.embedded(List.of(ip("127.0.0.1")));

    assertThat(provider.preflight(host("1000", false))).isEmpty();
    assertThat(ran).isEmpty();
    assertThat(provider.mode()).isEqualTo("userspace");
  }

  @Test
  void nodeModeRefusesANonRootUserNamingTheEmbeddedAlternative() {
    assertThat(new UserspaceProvider().preflight(host("1000", true)))
        .hasValueSatisfying(reason -> assertThat(reason).contains("needs root").contains("--userspace-bind"));
  }

  @Test
  void nodeModeRefusesAHostWithoutNft() {
    assertThat(new UserspaceProvider().preflight(host("0", false)))
        .hasValueSatisfying(reason -> assertThat(reason).contains("nft"));
  }

  @Test
  void nodeModeRunsAsRootWithNft() {
    assertThat(new UserspaceProvider().preflight(host("0", true))).isEmpty();
    assertThat(ran).containsExactly("id -u", "nft --version");
  }
}
