package dev.kubeproxy.bin;

import static dev.kubeproxy.bin.LabBinary.NODE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Userspace node mode ({@code --proxy-mode userspace}) as an operator runs it: the binary in a
 * child JVM inside the lab's node namespace ({@code ip netns exec}), so its listeners and its
 * {@code kube-proxy-userspace} tables live there, fed from a manifest directory. The test JVM
 * stays in the machine's own namespace and drives real packets from the lab's pods, the outside
 * namespace and the node itself. The proxy opens its own connection to the endpoint, so every
 * endpoint sees the node's address (masquerade is implicit).
 */
@KernelTest
class UserspaceNodeKernelTest {
  private static final int TCP_PORT = 8080;
  private static final int UDP_PORT = 5353;
  private static final int NODE_PORT = 30080;
  private static final IpAddress WEB_IP = IpAddress.parse("10.96.0.10");
  private static final IpAddress EXTERNAL_IP = IpAddress.parse("198.51.100.10");
  private static final String METRICS = "127.0.0.1:10249";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
  private static final int BATCH = 20;

  @RegisterExtension
  static final BinaryLabExtension LAB =
      BinaryLabExtension.with(
              NetnsLab.builder().localPod("client").localPod("ep-a").remotePod("ep-r"))
          .stopGrace(Duration.ofSeconds(10));

  @TempDir Path tmp;
  private Path manifests;
  private Process running;

  @BeforeAll
  static void routeAndServe() throws CommandException {
    // As real nodes have one (and as the conformance lab adds): without a default route the
    // node has no route to a ClusterIP, and its own connections fail before the NAT hooks.
    lab().exec(lab().nodeNs(), "ip", "route", "add", "default", "via", "192.0.2.2");
    for (String name : List.of("ep-a", "ep-r")) {
      lab().serve(lab().pod(name), Protocol.TCP, TCP_PORT);
      lab().serve(lab().pod(name), Protocol.UDP, UDP_PORT);
    }
  }

  @BeforeEach
  void freshNode() throws CommandException, IOException {
    lab().exec(lab().nodeNs(), "nft", "flush", "ruleset");
    manifests = Files.createDirectory(tmp.resolve("manifests"));
    Files.writeString(manifests.resolve("00-node.yaml"), node());
    Files.writeString(manifests.resolve("10-web.yaml"), web("ep-a", "ep-r"));
  }

  @Test
  @DisplayName(
      "ClusterIP TCP and UDP from a pod, ClusterIP from the node itself, NodePort and ExternalIP"
          + " TCP from outside all reach both endpoints through the node's listeners, and every"
          + " endpoint sees the node's address")
  void trafficReachesEndpointsThroughTheListeners() throws Exception {
    running = startInNode("--proxy-mode", "userspace");
    awaitListeners();

    Pod client = lab().pod("client");
    assertReachesBothFromNode("ClusterIP TCP from a pod",
        lab().tcpRequests(client.netns(), null, WEB_IP, 80, BATCH, REQUEST_TIMEOUT));
    assertReachesBothFromNode("ClusterIP UDP from a pod",
        lab().udpRequests(client.netns(), null, 0, WEB_IP, 53, BATCH, REQUEST_TIMEOUT));
    assertReachesBothFromNode("ClusterIP TCP from the node",
        lab().tcpRequests(lab().nodeNs(), null, WEB_IP, 80, BATCH, REQUEST_TIMEOUT));
    assertReachesBothFromNode("NodePort TCP from outside",
        lab().tcpRequests(lab().outsideNs(), null, NetnsLab.NODE_IP, NODE_PORT, BATCH, REQUEST_TIMEOUT));
    assertReachesBothFromNode("ExternalIP TCP from outside",
        lab().tcpRequests(lab().outsideNs(), null, EXTERNAL_IP, 80, BATCH, REQUEST_TIMEOUT));
    String addresses = curl("http://" + METRICS + "/userspace/addresses");
    java.util.regex.Matcher listener = java.util.regex.Pattern.compile("\"0\\.0\\.0\\.0:(\\d+)\"").matcher(addresses);
    assertThat(listener.find()).as(addresses).isTrue();
    Reply direct = lab().tcpRequest(lab().outsideNs(), NetnsLab.NODE_IP,
        Integer.parseInt(listener.group(1)), REQUEST_TIMEOUT);
    assertThat(direct.outcome()).as("a listener port straight from outside: %s", direct)
        .isEqualTo(Reply.Outcome.TIMEOUT);
    assertThat(curl("http://" + METRICS + "/proxyMode")).isEqualTo("userspace");
    assertThat(curl("http://" + METRICS + "/metrics"))
        .contains("kubeproxy_userspace_connections_total{namespace=\"default\",service=\"web\",port=\"http\",protocol=\"TCP\"}");
  }

  @Test
  @DisplayName("--cleanup deletes the kube-proxy-userspace tables and leaves other tables alone")
  void cleanupRemovesTheRedirectTables() throws Exception {
    lab().exec(lab().nodeNs(), "nft", "add", "table", "ip", "not-ours");
    running = startInNode("--proxy-mode", "userspace");
    awaitListeners();
    assertThat(tables()).contains("table ip kube-proxy-userspace");
    LAB.stopStarted();

    Process cleanup = startInNode("--proxy-mode", "userspace", "--cleanup");
    assertThat(cleanup.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(cleanup.exitValue()).as(log()).isZero();
    assertThat(tables()).doesNotContain("kube-proxy-userspace").contains("table ip not-ours");
  }

  // ---------------------------------------------------------------- helpers

  private static void assertReachesBothFromNode(String what, List<Reply> replies) {
    Set<String> servers = new TreeSet<>();
    Set<IpAddress> sources = new TreeSet<>();
    for (Reply r : replies) {
      servers.add(r.answered() ? r.serverName() : r.outcome().toString());
      if (r.answered()) {
        sources.add(r.seenSource());
      }
    }
    assertThat(servers).as("%s: %s", what, replies).containsExactly("ep-a", "ep-r");
    assertThat(sources).as("%s: source the endpoints saw", what).containsExactly(NetnsLab.NODE_IP);
  }

  private Process startInNode(String... extra) throws IOException {
    List<String> argv = LabBinary.inNode(lab(), NODE, "", METRICS);
    argv.addAll(List.of("--manifests", manifests.toString()));
    argv.addAll(List.of(extra));
    return LAB.track(new ProcessBuilder(argv)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(tmp.resolve("stdout.log").toFile())
        .redirectError(tmp.resolve("stderr.log").toFile())
        .start());
  }

  /** Waits (up to 30 s) until /userspace/addresses lists the web service's listeners. */
  private void awaitListeners() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String last = "";
    while (System.nanoTime() < deadline && running.isAlive()) {
      last = curl("http://" + METRICS + "/userspace/addresses");
      if (last.contains("\"name\":\"web\",\"port\":\"http\"") && last.contains("\"name\":\"web\",\"port\":\"dns\"")) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("listeners not reported (" + last + "); " + log());
  }

  private String log() {
    try {
      return "stdout:\n" + Files.readString(tmp.resolve("stdout.log"), UTF_8)
          + "\nstderr:\n" + Files.readString(tmp.resolve("stderr.log"), UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static NetnsLab lab() {
    return LAB.lab();
  }

  private static String tables() throws CommandException {
    return lab().exec(lab().nodeNs(), "nft", "list", "tables").stdout();
  }

  /** A GET with curl inside the node namespace; the body, or the failure. */
  private static String curl(String url) {
    try {
      return lab().exec(lab().nodeNs(), "curl", "-s", "--max-time", "3", url).stdout();
    } catch (CommandException e) {
      return e.getMessage();
    }
  }

  private static String node() {
    return LabBinary.nodeManifest(NODE);
  }

  private static String web(String... pods) {
    return LabBinary.service("web", WEB_IP)
        .type("NodePort")
        .externalIp(EXTERNAL_IP)
        .port("http", "TCP", 80, TCP_PORT, NODE_PORT)
        .port("dns", "UDP", 53, UDP_PORT, 30053)
        .pods(lab(), pods)
        .yaml();
  }
}
