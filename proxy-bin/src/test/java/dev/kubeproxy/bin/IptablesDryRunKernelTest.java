package dev.kubeproxy.bin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.bin.cli.KubeProxyCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code --dry-run --proxy-mode iptables} on the bundled examples prints restore input that the
 * real tools accept: the part before the {@code # ip6tables-restore} comment line goes to
 * {@code iptables-restore --test}, the rest to {@code ip6tables-restore --test}, on
 * iptables-legacy and iptables-nft, in a scratch network namespace created and deleted here.
 */
@KernelTest
class IptablesDryRunKernelTest {
  @ParameterizedTest
  @ValueSource(strings = {"legacy", "nft"})
  void dryRunRenderPassesRestoreTest(String variant) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(new KubeProxyCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute("--proxy-mode", "iptables", "--manifests", ExamplesTest.EXAMPLES.toString(),
        "--hostname-override", "node-1", "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/48",
        "--dry-run");
    assertThat(code).as(err.toString()).isZero();

    String text = out.toString();
    int split = text.indexOf("# ip6tables-restore");
    assertThat(split).as("an IPv6 part in %s", text).isPositive();
    String v4 = text.substring(0, split);
    String v6 = text.substring(split);
    assertThat(v4).contains("*nat").contains("-j KUBE-SVC-").contains("10.96.0.10");
    assertThat(v6).contains("*nat").contains("-j KUBE-SVC-");

    ProcessCommandRunner host = new ProcessCommandRunner();
    String ns = "kpj-iptdry-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    host.run(Command.of("ip", "netns", "add", ns));
    try {
      CommandRunner inNs = CommandRunner.inNetns(host, ns);
      inNs.run(Command.of(List.of("iptables-" + variant + "-restore", "-w", "--noflush", "--test"),
          v4.getBytes(UTF_8)));
      inNs.run(Command.of(List.of("ip6tables-" + variant + "-restore", "-w", "--noflush", "--test"),
          v6.getBytes(UTF_8)));
    } finally {
      host.run(Command.of("ip", "netns", "delete", ns));
    }
  }
}
