package dev.kubeproxy.bin.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.bin.ExamplesTest;
import dev.kubeproxy.bin.Main;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.config.GoDuration;
import dev.kubeproxy.bin.config.HostPort;
import dev.kubeproxy.bin.config.KubeProxyConfiguration;
import dev.kubeproxy.bin.config.ProxyMode;
import dev.kubeproxy.bin.manifest.ManifestSnapshot;
import dev.kubeproxy.bin.manifest.ManifestSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The command line: upstream flag names, the config file, and one-line errors naming the flag. */
class KubeProxyCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private CommandLine commandLine(KubeProxyCommand command) {
    command.hostname = () -> "OS-Host";
    CommandLine cl = Main.commandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl;
  }

  /** Parses {@code args} and resolves them as call() would, without running anything. */
  private EffectiveConfig resolve(String... args) {
    KubeProxyCommand command = new KubeProxyCommand();
    commandLine(command).parseArgs(args);
    return command.effectiveConfig();
  }

  private int run(String... args) {
    return commandLine(new KubeProxyCommand()).execute(args);
  }

  private Path configFile(String body) throws IOException {
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file, "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body);
    return file;
  }

  @Test
  @DisplayName("no flags: upstream defaults (iptables mode, node = lowercased OS host name, IPv4, mark bit 14, 30s/1s, healthz 0.0.0.0:10256, metrics 127.0.0.1:10249)")
  void defaults() {
    EffectiveConfig c = resolve();

    // Upstream's default mode on Linux is iptables (it was nftables here before iptables was built).
    assertThat(c.mode()).isEqualTo(ProxyMode.IPTABLES);
    assertThat(c.proxy().nodeName()).isEqualTo("os-host");
    assertThat(c.proxy().families()).containsExactly(IpFamily.V4);
    assertThat(c.proxy().masqueradeBit()).isEqualTo(14);
    assertThat(c.proxy().masqueradeAll()).isFalse();
    assertThat(c.proxy().detectLocalMode()).isEqualTo(LocalTrafficDetector.Mode.NONE);
    assertThat(c.proxy().nodePortAddresses()).isEqualTo(NodePortAddresses.ALL);
    assertThat(c.syncPeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.healthzBindAddress()).hasToString("0.0.0.0:10256");
    assertThat(c.metricsBindAddress()).hasToString("127.0.0.1:10249");
    assertThat(c.manifests()).isNull();
    assertThat(c.kubeconfig()).isNull();
  }

  @Test
  @DisplayName("every flag lands in the effective configuration")
  void everyFlag() {
    EffectiveConfig c =
        resolve(
            "--proxy-mode", "nftables",
            "--hostname-override", "Node-7",
            "--node-ip", "192.0.2.7,2001:db8::7",
            "--cluster-cidr", "10.244.0.0/16, fd00:10:244::/48",
            "--detect-local-mode", "NodeCIDR",
            "--nodeport-addresses", "192.0.2.0/24,2001:db8::/64",
            "--masquerade-all",
            "--healthz-bind-address", "127.0.0.1:10300",
            "--metrics-bind-address", "[::1]:10301",
            "--kubeconfig", "/etc/kube/config",
            "--master", "https://192.0.2.10:6443",
            "--manifests", dir.toString(),
            "--once", "--dry-run", "--cleanup");

    assertThat(c.proxy().nodeName()).isEqualTo("node-7");
    assertThat(c.proxy().nodeIps())
        .containsExactly(IpAddress.parse("192.0.2.7"), IpAddress.parse("2001:db8::7"));
    assertThat(c.proxy().clusterCidrs())
        .containsExactly(Cidr.parse("10.244.0.0/16"), Cidr.parse("fd00:10:244::/48"));
    assertThat(c.proxy().families()).containsExactlyInAnyOrder(IpFamily.V4, IpFamily.V6);
    assertThat(c.proxy().detectLocalMode()).isEqualTo(LocalTrafficDetector.Mode.NODE_CIDR);
    assertThat(c.proxy().nodePortAddresses().toStrings()).containsExactly("192.0.2.0/24", "2001:db8::/64");
    assertThat(c.proxy().masqueradeAll()).isTrue();
    assertThat(c.healthzBindAddress()).isEqualTo(new HostPort(IpAddress.parse("127.0.0.1"), 10300));
    assertThat(c.metricsBindAddress()).isEqualTo(new HostPort(IpAddress.parse("::1"), 10301));
    assertThat(c.kubeconfig()).isEqualTo("/etc/kube/config");
    assertThat(c.master()).isEqualTo("https://192.0.2.10:6443");
    assertThat(c.manifests()).isEqualTo(dir);
    assertThat(c.once()).isTrue();
    assertThat(c.dryRun()).isTrue();
    assertThat(c.cleanup()).isTrue();
  }

  @Test
  @DisplayName("--cluster-cidr with the default detect-local-mode selects the ClusterCIDR detector")
  void clusterCidrDetector() {
    EffectiveConfig c = resolve("--cluster-cidr", "10.244.0.0/16");

    assertThat(c.proxy().detectLocalMode()).isEqualTo(LocalTrafficDetector.Mode.CLUSTER_CIDR);
  }

  @Test
  @DisplayName("BridgeInterface and InterfaceNamePrefix detectors take their interface from the flags")
  void interfaceDetectors() {
    EffectiveConfig bridge =
        resolve("--detect-local-mode", "BridgeInterface", "--pod-bridge-interface", "cbr0");
    EffectiveConfig prefix =
        resolve("--detect-local-mode", "InterfaceNamePrefix", "--pod-interface-name-prefix", "veth");

    assertThat(bridge.proxy().detectLocalMode()).isEqualTo(LocalTrafficDetector.Mode.BRIDGE_INTERFACE);
    assertThat(bridge.proxy().bridgeInterface()).isEqualTo("cbr0");
    assertThat(prefix.proxy().detectLocalMode())
        .isEqualTo(LocalTrafficDetector.Mode.INTERFACE_NAME_PREFIX);
    assertThat(prefix.proxy().interfaceNamePrefix()).isEqualTo("veth");
  }

  @Test
  @DisplayName("an empty --healthz-bind-address or --metrics-bind-address disables that server, as upstream")
  void emptyServerAddressDisables() {
    EffectiveConfig c = resolve("--healthz-bind-address=", "--metrics-bind-address", "");

    assertThat(c.healthzBindAddress()).isNull();
    assertThat(c.metricsBindAddress()).isNull();
  }

  @Test
  @DisplayName("a specific --bind-address is the node IP, and an IPv6 one moves the server defaults to IPv6")
  void bindAddress() {
    EffectiveConfig c = resolve("--bind-address", "2001:db8::9");

    assertThat(c.proxy().nodeIps()).containsExactly(IpAddress.parse("2001:db8::9"));
    assertThat(c.proxy().families()).containsExactly(IpFamily.V6);
    assertThat(c.healthzBindAddress()).hasToString("[::]:10256");
    assertThat(c.metricsBindAddress()).hasToString("[::1]:10249");
  }

  @Test
  @DisplayName("the config file's fields are used, durations in Go syntax; unknown fields are warnings naming the field")
  void configFile() throws IOException {
    Path file =
        configFile(
            """
            mode: nftables
            clusterCIDR: 10.244.0.0/16,fd00:10:244::/48
            hostnameOverride: node-from-file
            healthzBindAddress: 0.0.0.0:10266
            metricsBindAddress: 0.0.0.0:10249
            nodePortAddresses: [primary]
            detectLocalMode: ClusterCIDR
            clientConnection:
              kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
              qps: 5
            featureGates:
              PreferSameTrafficDistribution: false
            iptables:
              masqueradeBit: 13
            nftables:
              masqueradeAll: true
              masqueradeBit: 12
              syncPeriod: 1m0s
              minSyncPeriod: 1.5s
              fancy: yes
            conntrack:
              maxPerCore: 0
            bogusTopLevel: 1
            """);
    KubeProxyConfiguration parsed = KubeProxyConfiguration.load(file);
    EffectiveConfig c = resolve("--config", file.toString());

    assertThat(parsed.warnings())
        .containsExactly(
            "config file " + file + ": unknown field 'nftables.fancy' is ignored",
            "config file " + file + ": unknown field 'bogusTopLevel' is ignored");
    assertThat(c.proxy().nodeName()).isEqualTo("node-from-file");
    assertThat(c.proxy().clusterCidrs()).hasSize(2);
    assertThat(c.proxy().detectLocalMode()).isEqualTo(LocalTrafficDetector.Mode.CLUSTER_CIDR);
    assertThat(c.proxy().nodePortAddresses()).isEqualTo(NodePortAddresses.PRIMARY);
    assertThat(c.proxy().masqueradeAll()).isTrue();
    // nftables mode reads the nftables section, not the iptables one.
    assertThat(c.proxy().masqueradeBit()).isEqualTo(12);
    assertThat(c.proxy().preferSameNodeHints()).isFalse();
    assertThat(c.syncPeriod()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.healthzBindAddress()).hasToString("0.0.0.0:10266");
    assertThat(c.metricsBindAddress()).hasToString("0.0.0.0:10249");
    assertThat(c.kubeconfig()).isEqualTo("/var/lib/kube-proxy/kubeconfig.conf");
  }

  @Test
  @DisplayName("the config file replaces the flags, except --hostname-override and this proxy's own flags, as upstream; the replaced flags are named in a warning")
  void fileReplacesFlags() throws IOException {
    Path file =
        configFile(
            """
            clusterCIDR: 10.244.0.0/16
            hostnameOverride: from-file
            healthzBindAddress: 0.0.0.0:10266
            nodePortAddresses: [10.0.0.0/8]
            iptables:
              masqueradeAll: true
              syncPeriod: 10s
            """);

    EffectiveConfig c =
        resolve(
            "--config", file.toString(),
            "--hostname-override", "from-flag",
            "--cluster-cidr", "10.100.0.0/16",
            "--masquerade-all=false",
            "--nodeport-addresses", "192.0.2.0/24",
            "--node-ip", "192.0.2.5",
            "--manifests", dir.toString());

    // Upstream: --hostname-override wins over the file; other upstream flags are ignored.
    // (Before, every flag overrode the file field by field; upstream's options.go does not.)
    assertThat(c.proxy().nodeName()).isEqualTo("from-flag");
    assertThat(c.proxy().clusterCidrs()).containsExactly(Cidr.parse("10.244.0.0/16"));
    assertThat(c.proxy().masqueradeAll()).isTrue();
    assertThat(c.proxy().nodePortAddresses().toStrings()).containsExactly("10.0.0.0/8");
    assertThat(c.healthzBindAddress()).hasToString("0.0.0.0:10266");
    assertThat(c.syncPeriod()).isEqualTo(Duration.ofSeconds(10));
    // This proxy's own flags keep working beside the file.
    assertThat(c.proxy().nodeIps()).containsExactly(IpAddress.parse("192.0.2.5"));
    assertThat(c.manifests()).isEqualTo(dir);
    assertThat(c.warnings())
        .anySatisfy(w -> assertThat(w).contains("replaces the flags")
            .contains("--cluster-cidr", "--masquerade-all", "--nodeport-addresses")
            .doesNotContain("--hostname-override").doesNotContain("--node-ip"));
  }

  @Test
  @DisplayName("without a config file, flags still override nothing but the defaults: every flag lands")
  void flagsWithoutFile() {
    EffectiveConfig c =
        resolve("--cluster-cidr", "10.100.0.0/16", "--masquerade-all=false",
            "--nodeport-addresses", "192.0.2.0/24");

    assertThat(c.proxy().clusterCidrs()).containsExactly(Cidr.parse("10.100.0.0/16"));
    assertThat(c.proxy().masqueradeAll()).isFalse();
    assertThat(c.proxy().nodePortAddresses().toStrings()).containsExactly("192.0.2.0/24");
    assertThat(c.warnings()).isEmpty();
  }

  @ParameterizedTest(name = "{0} {1}")
  @DisplayName("an invalid flag value exits 2 with one line naming the flag")
  @CsvSource(
      delimiter = '|',
      value = {
        "--proxy-mode|kernelspace|--proxy-mode: unknown mode 'kernelspace'",
        "--cluster-cidr|10.0.0.0/33|--cluster-cidr: '10.0.0.0/33'",
        "--cluster-cidr|10.0.0.0/8,10.1.0.0/16|--cluster-cidr: at most one V4",
        "--node-ip|node-1|--node-ip: 'node-1' is not an IP address",
        "--nodeport-addresses|192.0.2.0/24,local|--nodeport-addresses: 'local' is not a CIDR or 'primary'",
        "--nodeport-addresses|192.0.2.7|--nodeport-addresses: '192.0.2.7' is not a CIDR or 'primary'",
        "--nodeport-addresses|192.0.2.0/24,primary|--nodeport-addresses: can't use both 'primary' and CIDRs",
        "--detect-local-mode|PodCIDR|--detect-local-mode: unknown mode 'PodCIDR'",
        "--detect-local-mode|BridgeInterface|--pod-bridge-interface: must be set",
        "--healthz-bind-address|0.0.0.0:http|--healthz-bind-address: 'http' is not a port number",
        "--metrics-bind-address|localhost:10249|--metrics-bind-address: 'localhost' is not an IP address",
        "--masquerade-all|maybe|'--masquerade-all': 'maybe' is not a boolean",
        "--manifests|/no/such/dir|--manifests: /no/such/dir is not a directory",
      })
  void invalidFlag(String flag, String value, String expected) {
    int code = run(flag + "=" + value);

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).startsWith("kube-proxy-java: ").contains(expected);
    assertThat(err.toString().strip().lines()).hasSize(1);
  }

  @Test
  @DisplayName("a bad config file value exits 2 with one line naming the file and the field")
  void invalidConfigField() throws IOException {
    Path file = configFile("nftables:\n  syncPeriod: soon\n");

    int code = run("--config", file.toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip())
        .isEqualTo(
            "kube-proxy-java: config file " + file
                + ": field 'nftables.syncPeriod': 'soon' is not a duration (want e.g. 30s, 1m0s, 1h, 500ms) (see --help)");
  }

  /** Upstream's config loader fails on a field of the wrong type rather than ignoring it. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "mode: [nftables]|mode|a string|[nftables]",
        "nftables: {masqueradeAll: maybe}|nftables.masqueradeAll|true or false|maybe",
        "nftables: {masqueradeBit: high}|nftables.masqueradeBit|an integer|high",
        "detectLocal: eth0|detectLocal|a mapping|eth0",
      })
  @DisplayName("a config file field of the wrong type exits 2 naming the field, the type and the value")
  void wrongTypeConfigField(String body, String field, String want, String got)
      throws IOException {
    Path file = configFile(body + "\n");

    int code = run("--config", file.toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip())
        .isEqualTo(
            "kube-proxy-java: config file " + file + ": field '" + field + "': want " + want
                + ", got '" + got + "' (see --help)");
  }

  @Test
  @DisplayName("a config file of another kind is refused naming apiVersion/kind")
  void wrongKind() throws IOException {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n");

    int code = run("--config", file.toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("apiVersion/kind: want kubeproxy.config.k8s.io/v1alpha1");
  }

  @Test
  @DisplayName("--dry-run prints the nft transaction for the examples and exits 0 without touching the kernel")
  void dryRunPrintsRules() {
    int code =
        run("--proxy-mode", "nftables", "--manifests", ExamplesTest.EXAMPLES.toString(),
            "--hostname-override", "node-1", "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/48",
            "--dry-run");

    assertThat(code).as(err.toString()).isZero();
    String rules = out.toString();
    assertThat(rules).contains("table ip kube-proxy").contains("table ip6 kube-proxy");
    assertThat(rules).contains("add chain ip kube-proxy nat-prerouting").contains("masquerade fully-random");
    // The ClusterIP of the examples' web service reaches the rules.
    assertThat(rules).contains("10.96.0.10");
  }

  @Test
  @DisplayName("trace prints the model's verdict for the examples: forwarded ClusterIP and rejected service without endpoints")
  void traceOutput() {
    String examples = ExamplesTest.EXAMPLES.toString();

    assertThat(run("trace", "--manifests", examples, "--hostname-override", "node-1",
        "--from", "10.244.1.5", "--to", "10.96.0.10:80/tcp", "--source", "pod")).isZero();
    assertThat(out.toString())
        .contains("verdict: FORWARD")
        .contains("ClusterIP 10.96.0.10:80/TCP of default/web:http")
        .contains("10.244.2.10:8080");

    out.getBuffer().setLength(0);
    assertThat(run("trace", "--manifests", examples, "--hostname-override", "node-1",
        "--from", "10.244.1.5", "--to", "10.96.0.70:80/tcp")).isZero();
    assertThat(out.toString()).contains("verdict: REJECT");
  }

  @Test
  @DisplayName("the manifest's own Node adds its address families (node-1 is dual-stack)")
  void manifestNodeFamilies() {
    EffectiveConfig c = resolve("--manifests", ExamplesTest.EXAMPLES.toString(), "--hostname-override", "node-1");
    ManifestSnapshot snapshot = new ManifestSource(c.manifests(), "node-1").load();

    assertThat(c.proxy().families()).containsExactly(IpFamily.V4);
    assertThat(c.withNodeFamilies(snapshot.node("node-1")).proxy().families())
        .isEqualTo(ImmutableSet.of(IpFamily.V4, IpFamily.V6));
  }

  @Test
  @DisplayName("--version prints the name and version; --help lists upstream's flag names")
  void versionAndHelp() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("kube-proxy-java ");
    // The version filtered in at build time (it read "(unknown version)" after the package move).
    assertThat(out.toString().strip()).matches("kube-proxy-java \\d+\\.\\d+\\.\\d+.*");
    assertThat(run("--help")).isZero();
    assertThat(out.toString())
        .contains(
            "--proxy-mode", "--config", "--hostname-override", "--cluster-cidr",
            "--detect-local-mode", "--nodeport-addresses", "--masquerade-all",
            "--healthz-bind-address", "--metrics-bind-address", "--kubeconfig", "--master",
            "--cleanup", "--manifests", "--node-ip", "--once", "--dry-run", "trace");
  }

  @Test
  @DisplayName("trace parses --from, --to (IPv6 bracketed, protocol any case) and --source")
  void traceFlags() {
    KubeProxyCommand root = new KubeProxyCommand();
    CommandLine cl = commandLine(root);
    CommandLine.ParseResult parsed =
        cl.parseArgs(
            "trace", "--manifests", dir.toString(), "--hostname-override", "node-1",
            "--from", "fd00:10:244:1::5", "--to", "[fd00:10:96::90]:8443/UDP", "--source", "external");
    TraceCommand trace = (TraceCommand) parsed.subcommand().commandSpec().userObject();
    trace.hostname = () -> "ignored";

    TraceRequest request = trace.request();
    EffectiveConfig config = trace.effectiveConfig();

    assertThat(request)
        .isEqualTo(
            new TraceRequest(
                IpAddress.parse("fd00:10:244:1::5"), IpAddress.parse("fd00:10:96::90"), 8443,
                Protocol.UDP, TraceRequest.Origin.EXTERNAL));
    assertThat(config.proxy().nodeName()).isEqualTo("node-1");
    assertThat(config.manifests()).isEqualTo(dir);
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("trace's bad --to / --from / --source exit 2 naming the flag")
  @CsvSource(
      delimiter = '|',
      value = {
        "--to=10.96.0.10/tcp|--to: '10.96.0.10/tcp' is not ADDR:PORT/PROTO (write IPv6 as [ADDR]:PORT/PROTO)",
        "--to=fd00::1:80/tcp|--to: 'fd00::1:80/tcp' is not ADDR:PORT/PROTO (write IPv6 as [ADDR]:PORT/PROTO)",
        "--to=10.96.0.10:0/tcp|--to: port 0 is outside 1..65535",
        "--to=10.96.0.10:80/icmp|--to: 'icmp' is not tcp, udp or sctp",
        "--source=cluster|--source: 'cluster' is not one of pod, node, external",
        "--to=[fd00::1]:80|--from/--to: source 10.244.1.5 and destination fd00::1 are of different IP families",
      })
  void traceInvalid(String arg, String expected) {
    String to = arg.startsWith("--to=") ? arg : "--to=10.96.0.10:80";
    String source = arg.startsWith("--source=") ? arg : "--source=pod";

    int code = run("trace", "--manifests", dir.toString(), "--from", "10.244.1.5", to, source);

    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip()).isEqualTo("kube-proxy-java: " + expected + " (see --help)");
  }

  @Test
  @DisplayName("trace without --manifests is a usage error")
  void traceNeedsManifests() {
    int code = run("trace", "--from", "10.244.1.5", "--to", "10.96.0.10:80/tcp");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--manifests");
  }

  @Test
  @DisplayName("durations as Go writes them")
  void goDurations() {
    assertThat(GoDuration.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(GoDuration.parse("1m0s")).isEqualTo(Duration.ofMinutes(1));
    assertThat(GoDuration.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(GoDuration.parse("10us")).isEqualTo(Duration.ofNanos(10_000));
    assertThat(GoDuration.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(GoDuration.format(Duration.ofMinutes(61).plusSeconds(1))).isEqualTo("1h1m1s");
    for (String bad : new String[] {"", "30", "s", "1x", "1h 2m", "--1s"}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> GoDuration.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  @DisplayName("server addresses: ip:port, [ipv6]:port, bare ip takes the default port")
  void hostPorts() {
    assertThat(HostPort.parse("0.0.0.0:10256", 1)).isEqualTo(new HostPort(IpAddress.parse("0.0.0.0"), 10256));
    assertThat(HostPort.parse("[::]:10256", 1)).isEqualTo(new HostPort(IpAddress.parse("::"), 10256));
    assertThat(HostPort.parse("::1", 10249)).isEqualTo(new HostPort(IpAddress.parse("::1"), 10249));
    assertThat(HostPort.parse("127.0.0.1", 10249)).hasToString("127.0.0.1:10249");
    assertThat(ImmutableList.of("1.2.3.4:70000", "[::1", "[::1]x", "host:1"))
        .allSatisfy(
            bad ->
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> HostPort.parse(bad, 1))
                    .isInstanceOf(IllegalArgumentException.class));
  }
}
