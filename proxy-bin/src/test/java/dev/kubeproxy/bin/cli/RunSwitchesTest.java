package dev.kubeproxy.bin.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.bin.Main;
import dev.kubeproxy.bin.config.ConfigFileWatch;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.node.NodeFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --write-config-to}, {@code --init-only} and the config file watch, as upstream. */
class RunSwitchesTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final List<String> writes = new ArrayList<>();

  /** Records writes; reads give values that differ from every wanted one. */
  private final NodeFiles fakeNode =
      new NodeFiles() {
        @Override
        public String read(String path) {
          return "0";
        }

        @Override
        public void write(String path, String value) {
          writes.add(path + "=" + value);
        }

        @Override
        public boolean sysWritable() {
          return true;
        }

        @Override
        public boolean initialNetworkNamespace() {
          return true;
        }

        @Override
        public int cpus() {
          return 4;
        }
      };

  private KubeProxyCommand command() {
    KubeProxyCommand command = new KubeProxyCommand();
    command.hostname = () -> "node-a";
    command.nodeFiles = fakeNode;
    return command;
  }

  private CommandLine commandLine(KubeProxyCommand command) {
    CommandLine cl = Main.commandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl;
  }

  private EffectiveConfig resolve(String... args) {
    KubeProxyCommand command = command();
    commandLine(command).parseArgs(args);
    return command.effectiveConfig();
  }

  @Test
  @DisplayName("--write-config-to writes the effective configuration; read back with --config it gives the same run")
  void writeConfigRoundTrip() throws IOException {
    Path written = dir.resolve("written.yaml");
    String[] flags = {
      "--proxy-mode", "nftables", "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/48",
      "--masquerade-all", "--iptables-sync-period", "45s", "--conntrack-max-per-core", "0",
      "--conntrack-udp-timeout", "30s", "--oom-score-adj", "-500", "--metrics-bind-address", "0.0.0.0:10249",
      "--feature-gates", "PreferSameTrafficDistribution=false", "--detect-local-mode", "NodeCIDR", "-v", "3",
    };
    List<String> args = new ArrayList<>(List.of(flags));
    args.addAll(List.of("--write-config-to", written.toString()));

    int code = commandLine(command()).execute(args.toArray(String[]::new));

    assertThat(code).as(err.toString()).isZero();
    String yaml = Files.readString(written);
    assertThat(yaml).contains("apiVersion: kubeproxy.config.k8s.io/v1alpha1", "mode: nftables",
        "syncPeriod: 45s", "oomScoreAdj: -500", "- primary");
    EffectiveConfig direct = resolve(flags);
    EffectiveConfig reread = resolve("--config", written.toString());
    assertThat(reread.proxy()).isEqualTo(direct.proxy());
    assertThat(reread.mode()).isEqualTo(direct.mode());
    assertThat(reread.nodeSetup()).isEqualTo(direct.nodeSetup());
    assertThat(reread.syncPeriod()).isEqualTo(direct.syncPeriod());
    assertThat(reread.minSyncPeriod()).isEqualTo(direct.minSyncPeriod());
    assertThat(reread.metricsBindAddress()).isEqualTo(direct.metricsBindAddress());
    assertThat(reread.healthzBindAddress()).isEqualTo(direct.healthzBindAddress());
    assertThat(reread.featureGates()).isEqualTo(direct.featureGates());
    assertThat(reread.logging()).isEqualTo(direct.logging());
    assertThat(reread.warnings()).isEmpty();
    assertThat(writes).as("--write-config-to sets nothing up").isEmpty();
  }

  @Test
  @DisplayName("--init-only applies the node setup (through the injected files) and exits 0 without syncing")
  void initOnly() {
    int code = commandLine(command()).execute("--init-only", "--conntrack-tcp-be-liberal");

    assertThat(code).as(err.toString()).isZero();
    assertThat(writes)
        .contains(
            "/proc/self/oom_score_adj=-999",
            "/proc/sys/net/netfilter/nf_conntrack_max=131072",
            "/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal=1");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  @DisplayName("the config file watch fires once when the content changes, not before")
  void configFileWatch() throws Exception {
    Path file = dir.resolve("config.conf");
    Files.writeString(file, "mode: iptables\n");
    CountDownLatch fired = new CountDownLatch(2);

    try (ConfigFileWatch watch = ConfigFileWatch.start(file, Duration.ofMillis(20), fired::countDown)) {
      Thread.sleep(150);
      assertThat(fired.getCount()).as("unchanged file").isEqualTo(2);
      Files.writeString(file, "mode: nftables\n");
      Files.writeString(file.resolveSibling("other"), "x");
      assertThat(fired.await(150, TimeUnit.MILLISECONDS)).as("fires only once").isFalse();
      assertThat(fired.getCount()).isEqualTo(1);
    }
  }
}
