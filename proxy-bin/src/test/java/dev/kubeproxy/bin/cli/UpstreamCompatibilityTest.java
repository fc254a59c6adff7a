package dev.kubeproxy.bin.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.bin.Main;
import dev.kubeproxy.bin.config.ConntrackSettings;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.config.LogSettings;
import dev.kubeproxy.bin.config.ProxyMode;
import dev.kubeproxy.ipvs.IpvsConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Drop-in for upstream kube-proxy: a config file as kubeadm writes it, upstream's zero-value and
 * per-mode semantics, every upstream flag, feature gates and upstream's defaults.
 */
class UpstreamCompatibilityTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private CommandLine commandLine(KubeProxyCommand command) {
    command.hostname = () -> "node-a";
    CommandLine cl = Main.commandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl;
  }

  private EffectiveConfig resolve(String... args) {
    KubeProxyCommand command = new KubeProxyCommand();
    commandLine(command).parseArgs(args);
    return command.effectiveConfig();
  }

  private Path kubeadmConfig(String mode) throws IOException {
    String text;
    try (var in = Objects.requireNonNull(getClass().getResourceAsStream("/config/kubeadm-zero.yaml"))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Path file = dir.resolve("config.conf");
    Files.writeString(file, text.replace("mode: \"\"", "mode: \"" + mode + "\""));
    return file;
  }

  private Path configFile(String body) throws IOException {
    Path file = dir.resolve("c.yaml");
    Files.writeString(
        file, "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body);
    return file;
  }

  @ParameterizedTest(name = "mode \"{0}\"")
  @ValueSource(strings = {"", "iptables", "nftables"})
  @DisplayName("kubeadm's config file (every field at its zero value) starts every built mode with upstream's defaults, both servers on, and no warning")
  void kubeadmZeroValues(String mode) throws IOException {
    EffectiveConfig c = resolve("--config", kubeadmConfig(mode).toString());

    assertThat(c.mode()).isEqualTo(mode.isEmpty() ? ProxyMode.IPTABLES : ProxyMode.parse(mode));
    assertThat(c.healthzBindAddress()).hasToString("0.0.0.0:10256");
    assertThat(c.metricsBindAddress()).hasToString("127.0.0.1:10249");
    assertThat(c.syncPeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.proxy().masqueradeBit()).isEqualTo(14);
    assertThat(c.proxy().masqueradeAll()).isFalse();
    assertThat(c.proxy().nodeName()).isEqualTo("node-a");
    assertThat(c.proxy().nodePortAddresses())
        .isEqualTo(c.mode() == ProxyMode.NFTABLES ? NodePortAddresses.PRIMARY : NodePortAddresses.ALL);
    assertThat(c.nodeSetup().oomScoreAdj()).isEqualTo(-999);
    assertThat(c.nodeSetup().conntrack()).isEqualTo(ConntrackSettings.DEFAULTS);
    assertThat(c.logging()).isEqualTo(LogSettings.DEFAULTS);
    assertThat(c.kubeconfig()).isEqualTo("/var/lib/kube-proxy/kubeconfig.conf");
    assertThat(c.bindAddressHardFail()).isFalse();
    assertThat(c.configFile()).isEqualTo(dir.resolve("config.conf"));
    assertThat(c.warnings()).isEmpty();
  }

  @Test
  @DisplayName("the mode's own section is read; a non-zero field of another mode's section is a warning naming it")
  void modeSections() throws IOException {
    Path file =
        configFile(
            """
            mode: iptables
            iptables: {masqueradeBit: 10, syncPeriod: 45s, minSyncPeriod: 2s, masqueradeAll: true}
            nftables: {masqueradeBit: 12, syncPeriod: 5s}
            """);

    EffectiveConfig c = resolve("--config", file.toString());

    assertThat(c.proxy().masqueradeBit()).isEqualTo(10);
    assertThat(c.syncPeriod()).isEqualTo(Duration.ofSeconds(45));
    assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.proxy().masqueradeAll()).isTrue();
    assertThat(c.warnings()).containsExactly(
        "config file " + file + ": nftables: not read in iptables mode (each mode reads its own section, as upstream)");
  }

  @Test
  @DisplayName("ipvs mode reads --ipvs-scheduler, --ipvs-exclude-cidrs, --ipvs-strict-arp and the three IPVS timeouts into the backend's settings")
  void ipvsFlags() {
    EffectiveConfig c = resolve("--proxy-mode", "ipvs", "--ipvs-scheduler", "lc",
        "--ipvs-exclude-cidrs", "10.0.0.0/8,fd00::/64", "--ipvs-strict-arp",
        "--ipvs-tcp-timeout", "15m", "--ipvs-tcpfin-timeout", "30s", "--ipvs-udp-timeout", "1m");

    IpvsConfig ipvs = c.modeOptions().ipvs();
    assertThat(ipvs.scheduler()).isEqualTo("lc");
    assertThat(ipvs.excludeCidrs()).extracting(Object::toString).containsExactly("10.0.0.0/8", "fd00::/64");
    assertThat(ipvs.strictArp()).isTrue();
    assertThat(ipvs.tcpTimeout()).isEqualTo(Duration.ofMinutes(15));
    assertThat(ipvs.tcpFinTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(ipvs.udpTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.warnings()).isEmpty();
  }

  @Test
  @DisplayName("the config file's ipvs section and iptables.localhostNodePorts reach the backends; an unknown scheduler names the field")
  void modeOptionsFromFile() throws IOException {
    Path ipvsFile = configFile("""
        mode: ipvs
        ipvs: {scheduler: sh, excludeCIDRs: [192.168.0.0/16], strictARP: true, udpTimeout: 10s}
        """);
    IpvsConfig ipvs = resolve("--config", ipvsFile.toString()).modeOptions().ipvs();
    assertThat(ipvs.scheduler()).isEqualTo("sh");
    assertThat(ipvs.excludeCidrs()).extracting(Object::toString).containsExactly("192.168.0.0/16");
    assertThat(ipvs.strictArp()).isTrue();
    assertThat(ipvs.udpTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(ipvs.tcpTimeout()).isZero();

    Path iptablesFile = configFile("mode: iptables\niptables: {localhostNodePorts: false}\n");
    assertThat(resolve("--config", iptablesFile.toString()).modeOptions().localhostNodePorts()).isFalse();
    assertThat(resolve("--proxy-mode", "iptables").modeOptions().localhostNodePorts()).isTrue();
    assertThat(resolve("--proxy-mode", "iptables", "--iptables-localhost-nodeports=false")
        .modeOptions().localhostNodePorts()).isFalse();

    Path bad = configFile("mode: ipvs\nipvs: {scheduler: fastest}\n");
    assertThatThrownBy(() -> resolve("--config", bad.toString()))
        .hasMessageContaining("ipvs.scheduler")
        .hasMessageContaining("'fastest' is not an IPVS scheduler");
  }

  @Test
  @DisplayName("ipvs settings given in another mode are named in a warning and not used")
  void ipvsSettingsOutsideIpvsMode() {
    EffectiveConfig c = resolve("--proxy-mode", "nftables", "--ipvs-scheduler", "lc");

    assertThat(c.modeOptions().ipvs()).isEqualTo(IpvsConfig.DEFAULT);
    assertThat(c.warnings()).containsExactly("--ipvs-scheduler: read in ipvs mode only; ignored");
  }

  @Test
  @DisplayName("upstream fields set but not supported here are each named in one warning")
  void ignoredFieldsWarned() throws IOException {
    Path file =
        configFile(
            """
            mode: nftables
            enableProfiling: true
            clientConnection: {qps: 50, burst: 100}
            configSyncPeriod: 10m
            winkernel: {enableDSR: true}
            """);

    EffectiveConfig c = resolve("--config", file.toString());

    assertThat(c.warnings())
        .containsExactly(
            "config file " + file + ": clientConnection.qps: accepted but not supported by this proxy; ignored",
            "config file " + file + ": clientConnection.burst: accepted but not supported by this proxy; ignored",
            "config file " + file + ": enableProfiling: accepted but not supported by this proxy; ignored",
            "config file " + file + ": winkernel: accepted but not supported by this proxy; ignored",
            "config file " + file + ": configSyncPeriod: accepted but not supported by this proxy; ignored");
  }

  @Test
  @DisplayName("pointer fields keep an explicit 0 (conntrack.maxPerCore 0 leaves nf_conntrack_max; tcp timeouts 0s leave them); plain zero fields mean the default")
  void pointerZeroes() throws IOException {
    Path file =
        configFile(
            """
            conntrack: {maxPerCore: 0, min: 5, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 30m, tcpBeLiberal: true, udpTimeout: 30s, udpStreamTimeout: 2m}
            oomScoreAdj: 0
            bindAddressHardFail: true
            logging: {verbosity: 4, format: json}
            """);

    EffectiveConfig c = resolve("--config", file.toString());

    assertThat(c.nodeSetup().conntrack())
        .isEqualTo(new ConntrackSettings(0, 5, Duration.ZERO, Duration.ofMinutes(30), true,
            Duration.ofSeconds(30), Duration.ofMinutes(2)));
    assertThat(c.nodeSetup().conntrack().max(8)).isZero();
    assertThat(c.nodeSetup().oomScoreAdj()).isZero();
    assertThat(c.bindAddressHardFail()).isTrue();
    assertThat(c.logging()).isEqualTo(new LogSettings(4, "json"));
  }

  @Test
  @DisplayName("nf_conntrack_max is maxPerCore x CPUs but at least min, as upstream")
  void conntrackMax() {
    assertThat(ConntrackSettings.DEFAULTS.max(2)).isEqualTo(131072);
    assertThat(ConntrackSettings.DEFAULTS.max(8)).isEqualTo(262144);
  }

  @Test
  @DisplayName("an unknown feature gate is an error naming it, in the file and in --feature-gates; known ones are accepted")
  void featureGates() throws IOException {
    Path file = configFile("featureGates: {NoSuchGate: true}\n");

    assertThat(commandLine(new KubeProxyCommand()).execute("--config", file.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("featureGates: unrecognized feature gate: NoSuchGate");
    err.getBuffer().setLength(0);
    assertThat(commandLine(new KubeProxyCommand()).execute("--feature-gates=Bogus=true")).isEqualTo(2);
    assertThat(err.toString()).contains("--feature-gates: unrecognized feature gate: Bogus");

    EffectiveConfig c = resolve("--feature-gates", "PreferSameTrafficDistribution=false,TopologyAwareHints=true");
    assertThat(c.proxy().preferSameNodeHints()).isFalse();
    assertThat(c.featureGates()).containsEntry("TopologyAwareHints", true);
  }

  @Test
  @DisplayName("defaults per mode: nodeport-addresses primary in nftables mode, all in iptables mode; ipvs-* flags are not read in other modes")
  void defaultsPerMode() {
    assertThat(resolve("--proxy-mode", "nftables").proxy().nodePortAddresses()).isEqualTo(NodePortAddresses.PRIMARY);
    assertThat(resolve("--proxy-mode", "iptables").proxy().nodePortAddresses()).isEqualTo(NodePortAddresses.ALL);
    assertThat(resolve().proxy().nodePortAddresses()).isEqualTo(NodePortAddresses.ALL);

    EffectiveConfig c = resolve("--proxy-mode", "nftables", "--iptables-sync-period", "1m",
        "--iptables-min-sync-period", "0s", "--ipvs-sync-period", "5s");
    assertThat(c.syncPeriod()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.minSyncPeriod()).isZero();
    assertThat(c.warnings()).contains("--ipvs-sync-period: not read in nftables mode; ignored");
  }

  @Test
  @DisplayName("--bind-address replaces the node IP of its family, keeping --node-ip's other family, and of the Node object, as upstream")
  void bindAddressOverridesNodeIp() {
    EffectiveConfig c = resolve("--bind-address", "192.0.2.9", "--node-ip", "192.0.2.1,2001:db8::1");

    assertThat(c.proxy().nodeIps())
        .containsExactly(IpAddress.parse("192.0.2.9"), IpAddress.parse("2001:db8::1"));
    dev.kubeproxy.api.Node node =
        dev.kubeproxy.api.Node.parse("node-a", List.of("192.0.2.1", "192.0.2.2", "2001:db8::1"),
            java.util.Map.of(), List.of());
    assertThat(c.withBindAddress(node).addresses())
        .containsExactly(IpAddress.parse("192.0.2.9"), IpAddress.parse("2001:db8::1"));
    assertThat(resolve().withBindAddress(node)).isEqualTo(node);
  }

  @Test
  @DisplayName("deprecated --healthz-port/--metrics-port: 0 disables the server, another port replaces the default one")
  void deprecatedPorts() {
    EffectiveConfig c = resolve("--healthz-port", "0", "--metrics-port", "10300");

    assertThat(c.healthzBindAddress()).isNull();
    assertThat(c.metricsBindAddress()).hasToString("127.0.0.1:10300");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--oom-score-adj=1001|--oom-score-adj: 1001 is outside -1000..1000",
        "--conntrack-max-per-core=-1|--conntrack-max-per-core: must not be negative",
        "--conntrack-tcp-timeout-established=soon|--conntrack-tcp-timeout-established: 'soon' is not a duration",
        "--iptables-sync-period=0s|--iptables-sync-period: must be positive",
        "--iptables-masquerade-bit=32|--iptables-masquerade-bit: 32 is outside 0..31",
        "-v=x|-v: 'x' is not an integer",
        "--logging-format=xml|--logging-format: 'xml' is not text or json",
      })
  @DisplayName("a bad value of an upstream flag exits 2 naming the flag")
  void badUpstreamValues(String arg, String expected) {
    int code = commandLine(new KubeProxyCommand()).execute(arg);

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains(expected);
  }

  @Test
  @DisplayName("leftovers removed on start as upstream's platformCleanup: nftables removes iptables(-based) modes', iptables removes nftables'; --cleanup covers every other built mode")
  void leftoverModes() {
    java.util.function.Function<java.util.List<dev.kubeproxy.api.backend.BackendProvider>, java.util.List<String>> modes =
        list -> list.stream().map(dev.kubeproxy.api.backend.BackendProvider::mode).toList();

    // ipvs counts once it is registered (it is built on main, not on this branch's base).
    java.util.List<String> iptablesBased = java.util.stream.Stream.of(ProxyMode.IPTABLES, ProxyMode.IPVS)
        .filter(ProxyMode::built).map(ProxyMode::flagValue).toList();
    assertThat(iptablesBased).startsWith("iptables");
    assertThat(modes.apply(dev.kubeproxy.bin.config.BackendRegistry.leftoversToRemove(ProxyMode.NFTABLES)))
        .isEqualTo(iptablesBased);
    assertThat(modes.apply(dev.kubeproxy.bin.config.BackendRegistry.leftoversToRemove(ProxyMode.IPTABLES)))
        .containsExactly("nftables");
    // --cleanup removes every other built mode's rules, the userspace redirect tables included.
    assertThat(modes.apply(dev.kubeproxy.bin.config.BackendRegistry.others(ProxyMode.NFTABLES)))
        .containsExactly("iptables", "ipvs", "userspace");
    assertThat(dev.kubeproxy.bin.config.BackendRegistry.leftoversToRemove(ProxyMode.USERSPACE)).isEmpty();
  }

  /**
   * Every flag of upstream's {@code kube-proxy --help} (v1.34/v1.35, Linux) with a typical value;
   * {@code null} marks a switch given without a value.
   */
  static final String[][] UPSTREAM_FLAGS = {
    {"--bind-address", "0.0.0.0"},
    {"--bind-address-hard-fail", null},
    {"--cleanup", "false"},
    {"--cluster-cidr", "10.244.0.0/16"},
    {"--config-sync-period", "15m0s"},
    {"--conntrack-max-per-core", "32768"},
    {"--conntrack-min", "131072"},
    {"--conntrack-tcp-be-liberal", null},
    {"--conntrack-tcp-timeout-close-wait", "1h0m0s"},
    {"--conntrack-tcp-timeout-established", "24h0m0s"},
    {"--conntrack-udp-timeout", "30s"},
    {"--conntrack-udp-timeout-stream", "2m0s"},
    {"--detect-local-mode", "ClusterCIDR"},
    {"--feature-gates", "PreferSameTrafficDistribution=true"},
    {"--healthz-bind-address", "0.0.0.0:10256"},
    {"--healthz-port", "10256"},
    {"--hostname-override", "node-a"},
    {"--init-only", "false"},
    {"--iptables-localhost-nodeports", "true"},
    {"--iptables-masquerade-bit", "14"},
    {"--iptables-min-sync-period", "1s"},
    {"--iptables-sync-period", "30s"},
    {"--ipvs-exclude-cidrs", "10.0.0.0/8"},
    {"--ipvs-min-sync-period", "0s"},
    {"--ipvs-scheduler", "rr"},
    {"--ipvs-strict-arp", null},
    {"--ipvs-sync-period", "30s"},
    {"--ipvs-tcp-timeout", "0s"},
    {"--ipvs-tcpfin-timeout", "0s"},
    {"--ipvs-udp-timeout", "0s"},
    {"--kube-api-burst", "10"},
    {"--kube-api-content-type", "application/vnd.kubernetes.protobuf"},
    {"--kube-api-qps", "5"},
    {"--kubeconfig", "/var/lib/kube-proxy/kubeconfig.conf"},
    {"--masquerade-all", null},
    {"--master", "https://192.0.2.10:6443"},
    {"--metrics-bind-address", "127.0.0.1:10249"},
    {"--metrics-port", "10249"},
    {"--nodeport-addresses", "192.0.2.0/24"},
    {"--oom-score-adj", "-999"},
    {"--pod-bridge-interface", "cbr0"},
    {"--pod-interface-name-prefix", "veth"},
    {"--profiling", null},
    {"--proxy-mode", "iptables"},
    {"--show-hidden-metrics-for-version", "1.33"},
    {"--write-config-to", ""},
    {"--config", ""},
    // Logging flags (component-base).
    {"--log-flush-frequency", "5s"},
    {"--log-json-info-buffer-size", "0"},
    {"--log-json-split-stream", null},
    {"--log-text-info-buffer-size", "0"},
    {"--log-text-split-stream", null},
    {"--logging-format", "text"},
    {"--v", "2"},
    {"-v", "4"},
    {"--vmodule", "proxier=5"},
  };

  @Test
  @DisplayName("every upstream flag parses, one by one and all together; the accepted-but-ignored ones are named in warnings")
  void everyUpstreamFlag() throws IOException {
    Path config = configFile("mode: iptables\n");
    List<String> all = new ArrayList<>();
    for (String[] flag : UPSTREAM_FLAGS) {
      List<String> args = new ArrayList<>();
      String value = flag[1];
      if ("--config".equals(flag[0])) {
        value = config.toString();
      } else if ("--write-config-to".equals(flag[0])) {
        value = dir.resolve("written.yaml").toString();
      }
      args.add(value == null ? flag[0] : flag[0] + "=" + value);
      EffectiveConfig c = resolve(args.toArray(String[]::new));
      assertThat(c).as(flag[0]).isNotNull();
      if (!"--config".equals(flag[0])) {
        all.addAll(args);
      }
    }
    assertThat(UPSTREAM_FLAGS.length).isEqualTo(47 + 9);

    EffectiveConfig c = resolve(all.toArray(String[]::new));

    assertThat(c.proxy().clusterCidrs()).hasSize(1);
    assertThat(c.nodeSetup().conntrack().tcpBeLiberal()).isTrue();
    assertThat(c.nodeSetup().conntrack().udpTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.logging().verbosity()).isEqualTo(4);
    assertThat(c.metricsBindAddress()).hasToString("127.0.0.1:10249");
    assertThat(c.warnings())
        .contains(
            "--profiling: accepted but there is no /debug/pprof in a JVM; ignored",
            "--kube-api-qps: accepted but client rate limits are not supported; ignored",
            "--ipvs-scheduler: read in ipvs mode only; ignored",
            "--vmodule: accepted but per-file verbosity is not supported; ignored");
  }
}
