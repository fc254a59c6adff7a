package dev.kubeproxy.bin.kube;

import static dev.kubeproxy.bin.kube.KubernetesSourceTest.service;
import static dev.kubeproxy.bin.kube.KubernetesSourceTest.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.bin.Main;
import dev.kubeproxy.bin.cli.KubeProxyCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** The whole binary reading Services from an API server (the fake), printing its rules. */
class BinaryAgainstApiServerTest {
  @RegisterExtension final FakeApiServer api = FakeApiServer.perTest();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine(new KubeProxyCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  @DisplayName("--master --dry-run lists Services and EndpointSlices from the API server and prints their rules")
  void dryRunFromApiServer() {
    api.apply(service("web", "10.96.7.7", 80));
    api.apply(slice("web-abc", "web", "10.244.9.9", 8080));
    api.apply(service("idle", "10.96.7.8", 81));

    int code =
        run("--proxy-mode", "nftables", "--master", api.url(), "--hostname-override", KubernetesSourceTest.NODE,
            "--node-ip", "192.0.2.1", "--dry-run");

    assertThat(code).as(err.toString()).isZero();
    String rules = out.toString();
    assertThat(rules).contains("10.96.7.7 . tcp . 80 . 0 : 10.244.9.9 . 8080");
    // A service without endpoints is rejected.
    assertThat(rules).containsPattern("no-endpoint-services \\{[^}]*10\\.96\\.7\\.8 \\. tcp \\. 81");
  }
}
