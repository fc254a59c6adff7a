package dev.kubeproxy.nftables;

import static dev.kubeproxy.model.conformance.LabCluster.PORT;
import static dev.kubeproxy.model.conformance.LabCluster.TARGET_PORT;
import static dev.kubeproxy.model.conformance.LabCluster.names;
import static dev.kubeproxy.model.conformance.LabCluster.onlyServer;
import static dev.kubeproxy.model.conformance.LabCluster.servers;
import static dev.kubeproxy.model.conformance.LabCluster.service;
import static dev.kubeproxy.model.conformance.LabCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.LabSuite;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Real packets across full syncs over an existing table: affinity kept, older layouts removed. */
@KernelTest
class NftablesFullSyncKernelTest extends LabSuite {
  private static final int CONNECTIONS = 20;

  @Override
  protected BackendUnderTest backendUnderTest() {
    return NftablesUnderTest.INSTANCE;
  }

  /** {@link #CONNECTIONS} connections from outside client {@code client} to {@code vip}. */
  private List<Reply> connect(int client, IpAddress vip) {
    return lab.tcpRequests(lab.outsideNs(), NetnsLab.outsideClientIp(IpFamily.V4, client), vip,
        PORT, CONNECTIONS, ANSWER);
  }

  /**
   * Upstream keeps ClientIP affinity across its periodic full syncs: each of several clients
   * keeps its endpoint (of three) after a full sync by the same backend and after a restart.
   */
  @Test
  @DisplayName("ClientIP affinity survives full syncs: 20 connections before and after reach one endpoint")
  void affinitySurvivesFullSync() throws Exception {
    cluster.apply(
        service("keep", "10.96.1.40").sessionAffinity("ClientIP", 300).build(),
        slice("keep", IpFamily.V4, epA, epB, epR));
    IpAddress vip = IpAddress.parse("10.96.1.40");
    Map<Integer, String> before = new LinkedHashMap<>();
    for (int i = 0; i < NetnsLab.OUTSIDE_CLIENTS; i++) {
      before.put(i, onlyServer(connect(i, vip), i));
    }

    cluster.backend().sync(SyncRequest.full(
        TableChange.initial(cluster.table(IpFamily.V4)),
        TableChange.initial(cluster.table(IpFamily.V6))));
    for (Map.Entry<Integer, String> e : before.entrySet()) {
      assertThat(onlyServer(connect(e.getKey(), vip), e.getKey()))
          .as("client %s after a periodic full sync", e.getKey()).isEqualTo(e.getValue());
    }
    cluster.restartBackend();
    for (Map.Entry<Integer, String> e : before.entrySet()) {
      assertThat(onlyServer(connect(e.getKey(), vip), e.getKey()))
          .as("client %s after a restart", e.getKey()).isEqualTo(e.getValue());
    }
  }

  /**
   * A restart after an endpoint left (its slot a hole before the survivors' slots, so fresh
   * numbering would shift them): the new backend reads the slots from the kernel's group map,
   * so every client still reaches its endpoint, with the slice's endpoints listed in another
   * order.
   */
  @Test
  @DisplayName("ClientIP affinity survives a restart after an endpoint left: each client keeps its endpoint")
  void affinitySurvivesRestartWithHole() throws Exception {
    List<Pod> pods = new ArrayList<>(List.of(epA, epB, epR));
    // The table lists endpoints by their ip:port string; the first of them leaves.
    pods.sort(Comparator.comparing(p -> p.ipv4() + ":" + TARGET_PORT));
    Pod gone = pods.get(0);
    Pod second = pods.get(1);
    Pod third = pods.get(2);
    cluster.apply(
        service("hole", "10.96.1.42").sessionAffinity("ClientIP", 300).build(),
        slice("hole", IpFamily.V4, gone, second, third));
    cluster.apply(slice("hole", IpFamily.V4, second, third));
    IpAddress vip = IpAddress.parse("10.96.1.42");
    Map<Integer, String> before = new LinkedHashMap<>();
    for (int i = 0; i < NetnsLab.OUTSIDE_CLIENTS; i++) {
      before.put(i, onlyServer(connect(i, vip), i));
    }
    assertThat(before.values()).isSubsetOf(names(second, third));
    String map = lab.exec(lab.nodeNs(), "nft", "list", "map", "ip", "kube-proxy",
        "service-ips-affinity-tcp-300-3").stdout();
    assertThat(map).contains("10.96.1.42 . tcp . " + PORT + " . 1 : " + second.ipv4())
        .doesNotContain(" . 0 : ");

    cluster.apply(slice("hole", IpFamily.V4, third, second));
    cluster.restartBackend();
    for (Map.Entry<Integer, String> e : before.entrySet()) {
      assertThat(onlyServer(connect(e.getKey(), vip), e.getKey()))
          .as("client %s after a restart", e.getKey()).isEqualTo(e.getValue());
    }
    assertThat(lab.exec(lab.nodeNs(), "nft", "list", "map", "ip", "kube-proxy",
        "service-ips-affinity-tcp-300-3").stdout()).isEqualTo(map);
  }

  /**
   * A start over a table left by an older layout (a hooked chain DNATing the service elsewhere
   * through per-endpoint chains, an extra set, a set of ours with another type) ends with
   * exactly the new layout, and the service reaches its own endpoint.
   */
  @Test
  @DisplayName("a full sync over an older layout removes its chains and sets; traffic follows the new rules")
  void olderLayoutIsReplaced() throws Exception {
    String old = String.join("\n",
        "add table ip kube-proxy",
        "add set ip kube-proxy old-set { type ipv4_addr ; }",
        "add element ip kube-proxy old-set { 10.96.1.41 }",
        "add set ip kube-proxy cluster-ips { typeof ip daddr . tcp dport ; }",
        "add element ip kube-proxy cluster-ips { 10.96.1.41 . " + PORT + " }",
        "add chain ip kube-proxy endpoint-OLD",
        "add rule ip kube-proxy endpoint-OLD meta l4proto tcp dnat to " + epR.ipv4() + ":" + TARGET_PORT,
        "add chain ip kube-proxy service-OLD",
        "add rule ip kube-proxy service-OLD ip daddr @old-set goto endpoint-OLD",
        "add rule ip kube-proxy service-OLD ip daddr . tcp dport @cluster-ips goto endpoint-OLD",
        "add chain ip kube-proxy old-prerouting { type nat hook prerouting priority -150 ; }",
        "add rule ip kube-proxy old-prerouting jump service-OLD",
        "");
    lab.nodeRunner().run(Command.of(List.of("nft", "-f", "-"), old.getBytes(StandardCharsets.UTF_8)));
    IpAddress vip = IpAddress.parse("10.96.1.41");
    assertThat(servers(connect(0, vip))).as("the old layout is live").isEqualTo(names(epR));

    cluster.apply(service("fresh", "10.96.1.41").build(), slice("fresh", IpFamily.V4, epA));

    String listing = lab.exec(lab.nodeNs(), "nft", "-t", "list", "table", "ip", "kube-proxy")
        .stdout();
    assertThat(listing).doesNotContain("OLD", "old-")
        .contains("set cluster-ips {\n\t\ttype ipv4_addr\n");
    assertThat(servers(connect(1, vip))).isEqualTo(names(epA));
  }

  /**
   * A node upgraded from the previous release: its whole ruleset (the all-features sample as that
   * release rendered it, with sets this layout no longer has and a set that is now a verdict map
   * of the same name) is replaced by the first full sync in one transaction.
   */
  @Test
  @DisplayName("a full sync over the previous release's layout (all features) replaces it; traffic follows")
  void previousReleaseLayoutIsReplaced() throws Exception {
    byte[] previous;
    try (var in = getClass().getResourceAsStream("/layouts/2026-12-04-all-features-ip.nft")) {
      previous = in.readAllBytes();
    }
    lab.nodeRunner().run(Command.of(List.of("nft", "-f", "-"), previous));
    assertThat(lab.exec(lab.nodeNs(), "nft", "-t", "list", "table", "ip", "kube-proxy").stdout())
        .as("the previous layout is loaded")
        .contains("set external-masquerade-ips", "set no-local-endpoint-services",
            "set no-endpoint-services");

    IpAddress vip = IpAddress.parse("10.96.1.42");
    cluster.apply(service("upgraded", "10.96.1.42").build(), slice("upgraded", IpFamily.V4, epA));

    String listing = lab.exec(lab.nodeNs(), "nft", "-t", "list", "table", "ip", "kube-proxy")
        .stdout();
    assertThat(listing)
        .doesNotContain("external-masquerade", "no-local-endpoint", "service-ips-affinity-tcp-600-2")
        .contains("map no-endpoint-services {", "map local-ips {");
    assertThat(servers(connect(2, vip))).isEqualTo(names(epA));
  }
}
