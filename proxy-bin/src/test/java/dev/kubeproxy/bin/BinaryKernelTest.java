package dev.kubeproxy.bin;

import static dev.kubeproxy.bin.LabBinary.NODE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.bin.server.Http;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real binary as an operator runs it: a child JVM started with {@code dev.kubeproxy.bin.Main}
 * inside the lab's node namespace ({@code ip netns exec}), fed from a manifest directory, checked
 * by real packets from pod namespaces, by {@code nft} listings and by HTTP from inside the node
 * namespace. Only the dry-run case runs in the machine's own namespace, with stub kernel tools
 * that record any call.
 */
@KernelTest
class BinaryKernelTest {
  private static final int TCP_PORT = 8080;
  private static final int UDP_PORT = 5353;
  private static final IpAddress WEB_IP = IpAddress.parse("10.96.0.10");
  private static final String HEALTHZ = "127.0.0.1:10256";
  private static final String METRICS = "127.0.0.1:10249";
  private static final int LOCAL_HEALTH_PORT = 32100;
  private static final int REMOTE_HEALTH_PORT = 32101;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);
  private static final int BATCH = 30;

  @RegisterExtension
  static final BinaryLabExtension LAB =
      BinaryLabExtension.with(
          NetnsLab.builder()
              .localPod("client")
              .localPod("ep-a")
              .localPod("ep-b")
              .remotePod("ep-r"));

  @TempDir Path tmp;
  private Path manifests;
  private Child running;

  @BeforeAll
  static void serveEndpoints() {
    for (String name : List.of("ep-a", "ep-b", "ep-r")) {
      lab().serve(lab().pod(name), Protocol.TCP, TCP_PORT);
      lab().serve(lab().pod(name), Protocol.UDP, UDP_PORT);
    }
  }

  @BeforeEach
  void freshNodeAndManifests() throws CommandException, IOException {
    lab().exec(lab().nodeNs(), "nft", "flush", "ruleset");
    manifests = Files.createDirectory(tmp.resolve("manifests"));
    write("00-node.yaml", node());
  }

  @Test
  @DisplayName(
      "a fresh binary's first sync deletes a UDP flow pinned to an endpoint that went away while"
          + " no proxy ran, in one listing and one batch; a flow pinned to a live endpoint keeps"
          + " its conntrack entry")
  void firstSyncReconcilesConntrack() throws Exception {
    lab().exec(lab().nodeNs(), "conntrack", "-F");
    write("10-web.yaml", web("ep-a", "ep-b"));
    assertThat(runInNode("--once").exit()).isZero();
    Pod client = lab().pod("client");
    int toA = pinnedPort(client, "ep-a", 40100);
    int toB = pinnedPort(client, "ep-b", 40200);
    String idOfB = conntrackId(toB);

    // ep-a goes away while no proxy runs; the rules still send the pinned flow to it.
    write("10-web.yaml", web("ep-b"));
    assertThat(lab().udpRequest(client.netns(), null, toA, WEB_IP, 53, REQUEST_TIMEOUT).serverName())
        .isEqualTo("ep-a");

    Run run = runInNode("--once");

    assertThat(run.exit()).as("%s", run).isZero();
    assertThat(conntrackId(toB)).as("the live flow's entry is untouched").isEqualTo(idOfB);
    Reply moved = lab().udpRequest(client.netns(), null, toA, WEB_IP, 53, REQUEST_TIMEOUT);
    assertThat(moved.serverName()).as("%s / %s", moved, run).isEqualTo("ep-b");
  }

  /** A client source port from {@code first} on whose UDP flow to the web VIP lands on {@code pod}. */
  private int pinnedPort(Pod client, String pod, int first) {
    for (int port = first; port < first + 40; port++) {
      Reply reply = lab().udpRequest(client.netns(), null, port, WEB_IP, 53, REQUEST_TIMEOUT);
      if (pod.equals(reply.serverName())) {
        return port;
      }
    }
    throw new AssertionError("no flow of 40 landed on " + pod);
  }

  /** The conntrack id of the UDP entry from {@code sourcePort} to the web VIP. */
  private static String conntrackId(int sourcePort) throws CommandException {
    String out = lab().exec(lab().nodeNs(), "conntrack", "-L", "-p", "udp", "--orig-dst",
        WEB_IP.toString(), "--orig-port-src", Integer.toString(sourcePort), "-o", "id").stdout();
    Matcher id = Pattern.compile("\\bid=(\\d+)").matcher(out);
    assertThat(id.find()).as("an entry from port %s in %s", sourcePort, out).isTrue();
    return id.group(1);
  }

  @Test
  @DisplayName(
      "--once programs nftables and ClusterIP traffic reaches every local and remote endpoint;"
          + " an object with an invalid port is reported (file, object, field) and skipped while"
          + " the rest is programmed, as upstream's informers never see an invalid object")
  void oncePrograms() throws Exception {
    write("10-web.yaml", web("ep-a", "ep-b", "ep-r"));
    write("20-broken.yaml", brokenService());

    Run run = runInNode("--once");

    assertThat(run.exit()).as("%s", run).isZero();
    assertThat(run.stderr())
        .as("stderr")
        .containsPattern(
            "\\Q" + manifests.resolve("20-broken.yaml") + "\\E.*Service default/broken.*"
                + "\\Qspec.ports[0].port\\E");
    String table = lab().exec(lab().nodeNs(), "nft", "list", "table", "ip", "kube-proxy").stdout();
    assertThat(table).contains(WEB_IP.toString()).doesNotContain("10.96.0.99");

    Pod client = lab().pod("client");
    List<Reply> tcp = lab().tcpRequests(client.netns(), null, WEB_IP, 80, BATCH, REQUEST_TIMEOUT);
    List<Reply> udp =
        lab().udpRequests(client.netns(), null, 0, WEB_IP, 53, BATCH, REQUEST_TIMEOUT);
    assertThat(servers(tcp)).as("TCP %s", tcp).containsExactly("ep-a", "ep-b", "ep-r");
    assertThat(servers(udp)).as("UDP %s", udp).containsExactly("ep-a", "ep-b", "ep-r");
  }

  @Test
  @DisplayName(
      "--dry-run prints the nftables transaction (add table ip kube-proxy), exits 0 and runs no"
          + " kernel tool, so it needs neither root nor a namespace; nft --check accepts it")
  void dryRunTouchesNothing() throws Exception {
    write("10-web.yaml", web("ep-a"));
    Path stubs = Files.createDirectory(tmp.resolve("stubs"));
    Path calls = tmp.resolve("kernel-tool-calls");
    for (String tool : List.of("nft", "conntrack", "ip", "iptables", "iptables-restore")) {
      Path stub = stubs.resolve(tool);
      Files.writeString(stub, "#!/bin/sh\necho \"$0 $*\" >> '" + calls + "'\nexit 1\n");
      Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    Run run =
        run(
            List.of(),
            Map.of("PATH", stubs + ":/usr/local/bin:/usr/bin:/bin"),
            binaryArgs("--dry-run"));

    assertThat(run.exit()).as("%s", run).isZero();
    assertThat(run.stdout()).contains("add table ip kube-proxy").contains(WEB_IP.toString());
    assertThat(calls).as("kernel tools called by --dry-run").doesNotExist();
    // The render is exactly what nft takes: a check in the lab's node namespace accepts it.
    lab().nodeRunner().run(Command.of(List.of("nft", "--check", "-f", "-"),
        run.stdout().getBytes(UTF_8)));
  }

  @Test
  @DisplayName(
      "the sync loop serves healthz (200, healthy), metrics (sync duration count, proxyMode"
          + " nftables) and one health server per healthCheckNodePort of an eTP=Local"
          + " LoadBalancer (200 with a local endpoint, 503 with only remote ones); editing a"
          + " manifest file reroutes ClusterIP traffic to the new endpoint")
  void syncLoopServesAndFollowsEdits() throws Exception {
    write("10-web.yaml", web("ep-a"));
    write("30-lb-local.yaml", lb("lb-local", "10.96.0.20", 30100, LOCAL_HEALTH_PORT, "ep-a"));
    write("31-lb-remote.yaml", lb("lb-remote", "10.96.0.21", 30101, REMOTE_HEALTH_PORT, "ep-r"));

    running = startInNode();

    Http healthz = awaitHttp("http://" + HEALTHZ + "/healthz", h -> h.code() == 200);
    assertThat(healthz.body()).contains("\"healthy\":true");
    Http metrics = curl("http://" + METRICS + "/metrics");
    assertThat(metrics.code()).isEqualTo(200);
    assertThat(metrics.body()).contains("kubeproxy_sync_proxy_rules_duration_seconds_count");
    Http mode = curl("http://" + METRICS + "/proxyMode");
    assertThat(mode.body().strip()).isEqualTo("nftables");

    // nftables mode defaults --nodeport-addresses to primary (as upstream), so the health
    // servers listen on the node's primary IP (they listened on 127.0.0.1 too with "all").
    Http local =
        awaitHttp("http://" + NetnsLab.NODE_IP + ":" + LOCAL_HEALTH_PORT + "/", h -> h.code() == 200);
    assertThat(local.body()).contains("\"localEndpoints\":1").contains("\"name\":\"lb-local\"");
    Http remote =
        awaitHttp("http://" + NetnsLab.NODE_IP + ":" + REMOTE_HEALTH_PORT + "/", h -> h.code() > 0);
    assertThat(remote.code()).as("%s", remote).isEqualTo(503);
    assertThat(remote.body()).contains("\"localEndpoints\":0");
    // Node setup ran in the lab's node namespace: the per-namespace conntrack timeouts are
    // upstream's defaults there (nf_conntrack_max is left alone: see binaryArgs).
    assertThat(lab().exec(lab().nodeNs(), "cat", "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established")
        .stdout().strip()).isEqualTo("86400");
    assertThat(lab().exec(lab().nodeNs(), "cat", "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_close_wait")
        .stdout().strip()).isEqualTo("3600");

    Pod client = lab().pod("client");
    List<Reply> before =
        lab().tcpRequests(client.netns(), null, WEB_IP, 80, BATCH, REQUEST_TIMEOUT);
    assertThat(servers(before)).as("before the edit %s", before).containsExactly("ep-a");

    write("10-web.yaml", web("ep-b"));
    List<Reply> after = List.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < deadline) {
      after = lab().tcpRequests(client.netns(), null, WEB_IP, 80, 10, REQUEST_TIMEOUT);
      if (servers(after).equals(Set.of("ep-b"))) {
        break;
      }
      Thread.sleep(200);
    }
    assertThat(servers(after)).as("after the edit %s; binary log %s", after, running.log())
        .containsExactly("ep-b");
    assertThat(running.process().isAlive()).as("still syncing").isTrue();
  }

  @Test
  @DisplayName(
      "--cleanup removes the proxy's nftables tables and leaves other tables alone, as"
          + " upstream's cleanup deletes only what kube-proxy owns")
  void cleanupRemovesTables() throws Exception {
    write("10-web.yaml", web("ep-a"));
    lab().exec(lab().nodeNs(), "nft", "add", "table", "ip", "not-ours");
    Run once = runInNode("--once");
    assertThat(once.exit()).as("%s", once).isZero();
    assertThat(tables()).contains("table ip kube-proxy");

    Run cleanup = runInNode("--cleanup");

    assertThat(cleanup.exit()).as("%s", cleanup).isZero();
    assertThat(tables()).doesNotContain("kube-proxy").contains("table ip not-ours");
    Reply reply = lab().tcpRequest(lab().pod("client").netns(), WEB_IP, 80, REQUEST_TIMEOUT);
    assertThat(reply.answered()).as("ClusterIP after cleanup: %s", reply).isFalse();
  }

  @Test
  @DisplayName(
      "on start nftables mode removes upstream-style iptables leftovers (KUBE-* chains and their"
          + " jumps, whose stale DNAT would steal the ClusterIP) as upstream's platformCleanup"
          + " does, leaves other iptables rules alone, and ClusterIP traffic reaches the endpoints")
  void startRemovesIptablesLeftovers() throws Exception {
    write("10-web.yaml", web("ep-a", "ep-b"));
    // What upstream's iptables mode leaves behind for the web ClusterIP: a DNAT to a dead pod.
    String leftovers = String.join("\n",
        "*nat",
        ":KUBE-SERVICES - [0:0]",
        ":KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]",
        ":KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]",
        ":KUBE-POSTROUTING - [0:0]",
        ":KUBE-MARK-MASQ - [0:0]",
        ":NOT-OURS - [0:0]",
        "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING",
        "-A KUBE-SERVICES -d " + WEB_IP + "/32 -p tcp -m comment --comment \"default/web:http cluster IP\""
            + " -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA",
        "-A KUBE-SVC-AAAAAAAAAAAAAAAA -j KUBE-SEP-BBBBBBBBBBBBBBBB",
        "-A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m tcp -j DNAT --to-destination 10.244.9.9:8080",
        "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000",
        "-A NOT-OURS -j RETURN",
        "COMMIT",
        "");
    lab().nodeRunner().run(Command.of(List.of("iptables-restore", "--noflush"),
        leftovers.getBytes(UTF_8)));
    assertThat(lab().exec(lab().nodeNs(), "iptables-save", "-t", "nat").stdout()).contains("KUBE-SEP-");

    Run run = runInNode("--once");

    assertThat(run.exit()).as("%s", run).isZero();
    String nat = lab().exec(lab().nodeNs(), "iptables-save", "-t", "nat").stdout();
    assertThat(nat).as("nat after start").doesNotContain("KUBE-").contains(":NOT-OURS");
    Pod client = lab().pod("client");
    List<Reply> tcp = lab().tcpRequests(client.netns(), null, WEB_IP, 80, BATCH, REQUEST_TIMEOUT);
    assertThat(servers(tcp)).as("TCP %s; %s", tcp, run).containsExactly("ep-a", "ep-b");
  }

  @Test
  @DisplayName(
      "kubeadm's config file (every field at its zero value; nftables mode) starts the binary"
          + " with upstream's defaults: healthz on :10256 and metrics on 127.0.0.1:10249 answer,"
          + " /configz shows the effective configuration, and a change of the watched file ends"
          + " the process, as upstream")
  void kubeadmConfigFileStarts() throws Exception {
    write("10-web.yaml", web("ep-a"));
    String kubeadm;
    try (var in = getClass().getResourceAsStream("/config/kubeadm-zero.yaml")) {
      kubeadm = new String(in.readAllBytes(), UTF_8);
    }
    // A test never sets nf_conntrack_max (not per network namespace on every kernel).
    String text = kubeadm.replace("mode: \"\"", "mode: \"nftables\"")
        .replace("  maxPerCore: null", "  maxPerCore: 0");
    Path config = Files.createTempFile("kube-proxy-config", ".conf");
    try {
      Files.writeString(config, text);
      running = start(List.of("ip", "netns", "exec", lab().nodeNs()), Map.of(),
          List.of("--config", config.toString(), "--hostname-override", NODE,
              "--manifests", manifests.toString(), "--node-ip", NetnsLab.NODE_IP.toString()));

      Http healthz = awaitHttp("http://127.0.0.1:10256/healthz", h -> h.code() == 200);
      assertThat(healthz.body()).contains("\"healthy\":true").contains("\"IPv4\"");
      Http metrics = awaitHttp("http://127.0.0.1:10249/metrics",
          h -> h.body().matches("(?s).*kubeproxy_sync_proxy_rules_duration_seconds_count\\{ip_family=\"IPv4\"\\} [1-9].*"));
      assertThat(metrics.code()).isEqualTo(200);
      Http configz = curl("http://127.0.0.1:10249/configz");
      assertThat(configz.body()).contains("\"mode\":\"nftables\"").contains("\"syncPeriod\":\"30s\"")
          .contains("\"healthzBindAddress\":\"0.0.0.0:10256\"");
      assertThat(lab().exec(lab().nodeNs(), "nft", "list", "table", "ip", "kube-proxy").stdout())
          .contains(WEB_IP.toString());

      Files.writeString(config, text.replace("oomScoreAdj: null", "oomScoreAdj: -998"));
      assertThat(running.process().waitFor(20, TimeUnit.SECONDS)).as("exits after the change").isTrue();
      assertThat(running.process().exitValue()).isEqualTo(1);
      assertThat(running.log()).contains("content of the proxy server's configuration file was updated");
    } finally {
      Files.deleteIfExists(config);
    }
  }

  // ---------------------------------------------------------------- the binary

  /** How a finished run of the binary ended. */
  private record Run(int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exit + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
    }
  }

  /** A started binary and the files its stdout and stderr go to. */
  private record Child(Process process, Path stdout, Path stderr) {
    String log() {
      try {
        return "stdout:\n" + Files.readString(stdout, UTF_8) + "\nstderr:\n"
            + Files.readString(stderr, UTF_8);
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }
  }

  private List<String> binaryArgs(String... extra) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "--proxy-mode", "nftables",
            // nf_conntrack_max and the hash size are not per network namespace on every
            // kernel: a test never sets them.
            "--conntrack-max-per-core", "0",
            "--manifests", manifests.toString(),
            "--hostname-override", NODE,
            "--node-ip", NetnsLab.NODE_IP.toString(),
            "--cluster-cidr", NetnsLab.CLUSTER_CIDR.toString(),
            "--healthz-bind-address", HEALTHZ,
            "--metrics-bind-address", METRICS));
    args.addAll(List.of(extra));
    return args;
  }

  private Run runInNode(String... extra) throws IOException, InterruptedException {
    return run(List.of("ip", "netns", "exec", lab().nodeNs()), Map.of(), binaryArgs(extra));
  }

  private Child startInNode() throws IOException {
    return start(List.of("ip", "netns", "exec", lab().nodeNs()), Map.of(), binaryArgs());
  }

  private Run run(List<String> prefix, Map<String, String> env, List<String> args)
      throws IOException, InterruptedException {
    Child child = start(prefix, env, args);
    try {
      assertThat(child.process().waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
          .as("%s finished within %s: %s", args, RUN_TIMEOUT, child.log())
          .isTrue();
      return new Run(
          child.process().exitValue(),
          Files.readString(child.stdout(), UTF_8),
          Files.readString(child.stderr(), UTF_8));
    } finally {
      LAB.stop(child.process());
    }
  }

  /** Starts {@code prefix java -cp <test classpath> Main args}, with {@code env} added. */
  private Child start(List<String> prefix, Map<String, String> env, List<String> args)
      throws IOException {
    List<String> argv = new ArrayList<>(prefix);
    argv.addAll(LabBinary.javaCommand());
    argv.addAll(args);
    Path stdout = Files.createTempFile(tmp, "stdout-", ".log");
    Path stderr = Files.createTempFile(tmp, "stderr-", ".log");
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    builder.environment().putAll(env);
    return new Child(LAB.track(builder.start()), stdout, stderr);
  }

  // ---------------------------------------------------------------- checks

  private static Set<String> servers(List<Reply> replies) {
    Set<String> names = new TreeSet<>();
    for (Reply reply : replies) {
      names.add(reply.answered() ? reply.serverName() : reply.outcome().toString());
    }
    return names;
  }

  private static NetnsLab lab() {
    return LAB.lab();
  }

  private static String tables() throws CommandException {
    return lab().exec(lab().nodeNs(), "nft", "list", "tables").stdout();
  }

  private record Http(int code, String body) {}

  /** A GET with curl inside the node namespace; code 0 when nothing answered. */
  private static Http curl(String url) {
    try {
      String out =
          lab().exec(
                  lab().nodeNs(),
                  "curl", "-s", "--max-time", "3", "-w", "\n%{http_code}", url)
              .stdout();
      int newline = out.lastIndexOf('\n');
      return new Http(Integer.parseInt(out.substring(newline + 1).strip()),
          out.substring(0, newline));
    } catch (CommandException e) {
      return new Http(0, e.getMessage());
    }
  }

  /** Polls {@code url} (up to 20 s, while the binary runs) until {@code done} holds. */
  private Http awaitHttp(String url, Predicate<Http> done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    Http last = curl(url);
    while (!done.test(last) && System.nanoTime() < deadline && running.process().isAlive()) {
      Thread.sleep(200);
      last = curl(url);
    }
    assertThat(done.test(last))
        .as("%s answered %s; binary log %s", url, last, running.log())
        .isTrue();
    return last;
  }

  // ---------------------------------------------------------------- manifests

  private void write(String file, String yaml) throws IOException {
    Files.writeString(manifests.resolve(file), yaml);
  }

  private static String node() {
    return LabBinary.nodeManifest(NODE);
  }

  private static String web(String... pods) {
    return LabBinary.service("web", WEB_IP)
        .port("http", "TCP", 80, TCP_PORT)
        .port("dns", "UDP", 53, UDP_PORT)
        .pods(lab(), pods)
        .yaml();
  }

  private static String brokenService() {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: broken
          namespace: default
        spec:
          clusterIP: 10.96.0.99
          ports:
            - name: http
              protocol: TCP
              port: 70000
              targetPort: %d
        """
        .formatted(TCP_PORT);
  }

  private static String lb(
      String name, String clusterIp, int nodePort, int healthPort, String... pods) {
    return LabBinary.service(name, clusterIp)
        .type("LoadBalancer")
        .externalLocal(healthPort)
        .port("http", "TCP", 80, TCP_PORT, nodePort)
        .pods(lab(), pods)
        .yaml();
  }
}
