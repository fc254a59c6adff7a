package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IPVS mode refuses, with one line, a host without ip_vs, ipvsadm or a recent ipset. */
class IpvsPreflightTest {
  @TempDir Path proc;

  /** Answers each command by its text; a missing answer is a command that does not exist. */
  private static CommandRunner tools(Map<String, String> outputs) {
    return command -> {
      String out = outputs.get(command.toString());
      if (out == null) {
        throw new CommandException(command, "could not start: No such file or directory", null);
      }
      return new CommandResult(0, out, "");
    };
  }

  private static final Map<String, String> TOOLS =
      Map.of(
          "ipvsadm --version", "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n",
          "ipset version", "ipset v7.17, protocol version: 7\n");

  @Test
  @DisplayName(
      "ip_vs built in or loaded (/proc/net/ip_vs, /proc/modules) or loadable (modprobe -n) is fine")
  void moduleFound() throws Exception {
    assertThat(IpvsPreflight.problem("6.1.0", tools(TOOLS), proc))
        .get()
        .asString()
        .contains("ip_vs kernel module")
        .contains("6.1.0")
        .doesNotContain("\n");
    Map<String, String> loadable = new java.util.HashMap<>(TOOLS);
    loadable.put("modprobe -n ip_vs", "");
    assertThat(IpvsPreflight.problem("6.1.0", tools(loadable), proc)).isEmpty();
    Files.writeString(
        proc.resolve("modules"),
        "ip_vs_rr 12288 1 - Live 0x0\nip_vs 200704 3 ip_vs_rr, Live 0x0\n");
    assertThat(IpvsPreflight.problem("6.1.0", tools(TOOLS), proc)).isEmpty();
    Files.delete(proc.resolve("modules"));
    Files.createDirectories(proc.resolve("net"));
    Files.writeString(proc.resolve("net/ip_vs"), "IP Virtual Server version 1.2.1 (size=4096)\n");
    assertThat(IpvsPreflight.problem("6.1.0", tools(TOOLS), proc)).isEmpty();
  }

  @Test
  @DisplayName("no ipvsadm, no ipset, or ipset older than 6.0 is refused with the reason")
  void tools() throws Exception {
    Files.createDirectories(proc.resolve("net"));
    Files.writeString(proc.resolve("net/ip_vs"), "");
    assertThat(IpvsPreflight.problem("6.1.0", tools(Map.of("ipset version", "ipset v7.17")), proc))
        .get()
        .asString()
        .startsWith("ipvs mode needs the ipvsadm tool");
    assertThat(
            IpvsPreflight.problem(
                "6.1.0", tools(Map.of("ipvsadm --version", "ipvsadm v1.31")), proc))
        .get()
        .asString()
        .startsWith("ipvs mode needs the ipset tool");
    assertThat(
            IpvsPreflight.problem(
                "6.1.0",
                tools(
                    Map.of(
                        "ipvsadm --version",
                        "ipvsadm v1.31",
                        "ipset version",
                        "ipset v5.4, protocol version: 5")),
                proc))
        .isEqualTo(
            Optional.of(
                "ipvs mode needs ipset 6.0 or newer, found 'ipset v5.4, protocol version: 5'"));
  }

  @Test
  @DisplayName("on this machine (kernel without IP_VS) the provider refuses with one clear line")
  void thisHostIsRefused() {
    Assumptions.assumeFalse(
        Files.exists(Path.of("/proc/net/ip_vs")),
        "this host has IP_VS; the refusal is shown only where it lacks it");
    IpvsProvider provider = new IpvsProvider();
    Optional<String> problem =
        provider.preflight(BackendContext.ofHost(new ProcessCommandRunner()));
    assertThat(provider.mode()).isEqualTo("ipvs");
    assertThat(problem)
        .get()
        .asString()
        .startsWith(
            "ipvs mode needs the ip_vs kernel module, which kernel "
                + System.getProperty("os.version"))
        .doesNotContain("\n");
  }
}
