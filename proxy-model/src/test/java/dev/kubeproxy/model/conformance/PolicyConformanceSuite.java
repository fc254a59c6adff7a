package dev.kubeproxy.model.conformance;

import static dev.kubeproxy.model.conformance.LabCluster.PORT;
import static dev.kubeproxy.model.conformance.LabCluster.names;
import static dev.kubeproxy.model.conformance.LabCluster.nodeOf;
import static dev.kubeproxy.model.conformance.LabCluster.onlyServer;
import static dev.kubeproxy.model.conformance.LabCluster.servers;
import static dev.kubeproxy.model.conformance.LabCluster.service;
import static dev.kubeproxy.model.conformance.LabCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.api.testing.lab.Reply.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Real packets through a backend's rules in a {@link NetnsLab}: traffic policies, ClientIP
 * affinity, loadBalancerSourceRanges and the terminating-endpoint fallback. A backend runs it as
 * {@code <Mode>PolicyKernelTest}.
 */
public abstract class PolicyConformanceSuite extends LabSuite {
  /** Expected drops: long enough for an answer on this lab, short enough to keep tests fast. */
  private static final Duration DROP_WAIT = Duration.ofMillis(700);

  private static final IpAddress EXTERNAL_IP = IpAddress.parse("198.51.100.30");
  private static final IpAddress LB_IP = IpAddress.parse("198.51.100.20");

  /** A NodePort service {@code name} with ExternalIP {@link #EXTERNAL_IP} and eTP=Local. */
  private static Service localExternal(String name) {
    return Service.builder(LabCluster.NAMESPACE, name)
        .type("NodePort")
        .clusterIp("10.96.1.10")
        .port("tcp", "TCP", PORT, 30090)
        .port("udp", "UDP", PORT, 30090)
        .externalIp(EXTERNAL_IP.toString())
        .externalTrafficPolicy("Local")
        .build();
  }

  @Test
  @DisplayName("eTP=Local from outside: only node-local endpoints answer, client IP preserved")
  @Requires(Capability.SOURCE_PRESERVED)
  void externalLocalReachesLocalEndpointsOnly() throws Exception {
    cluster.apply(localExternal("local"), slice("local", IpFamily.V4, epA, epB, epR));
    IpAddress outsideClient = NetnsLab.outsideClientIp(IpFamily.V4, 0);

    List<Reply> viaExternalIp =
        lab.tcpRequests(lab.outsideNs(), null, EXTERNAL_IP, PORT, 40, ANSWER);
    List<Reply> viaNodePort =
        lab.tcpRequests(lab.outsideNs(), null, NetnsLab.NODE_IP, 30090, 40, ANSWER);
    List<Reply> udp =
        lab.udpRequests(lab.outsideNs(), null, 0, EXTERNAL_IP, PORT, 20, ANSWER);

    for (List<Reply> replies : List.of(viaExternalIp, viaNodePort, udp)) {
      assertThat(servers(replies)).isEqualTo(names(epA, epB));
      assertThat(replies).allMatch(r -> r.seenSource().equals(outsideClient));
    }
  }

  @Test
  @DisplayName("eTP=Local with only remote endpoints: outside dropped, a pod short-circuits")
  @Requires({Capability.DROP, Capability.SOURCE_PRESERVED})
  void externalLocalWithOnlyRemoteEndpoints() throws Exception {
    cluster.apply(localExternal("remote-only"), slice("remote-only", IpFamily.V4, epR));

    Reply outsideTcp = lab.tcpRequest(lab.outsideNs(), EXTERNAL_IP, PORT, DROP_WAIT);
    Reply outsideUdp = lab.udpRequest(lab.outsideNs(), EXTERNAL_IP, PORT, DROP_WAIT);
    Reply outsideNodePort = lab.tcpRequest(lab.outsideNs(), NetnsLab.NODE_IP, 30090, DROP_WAIT);
    List<Reply> fromPod = lab.tcpRequests(client.netns(), null, EXTERNAL_IP, PORT, 5, ANSWER);

    assertThat(outsideTcp.outcome()).as("%s", outsideTcp).isEqualTo(Outcome.TIMEOUT);
    assertThat(outsideUdp.outcome()).as("%s", outsideUdp).isEqualTo(Outcome.TIMEOUT);
    assertThat(outsideNodePort.outcome()).as("%s", outsideNodePort).isEqualTo(Outcome.TIMEOUT);
    assertThat(servers(fromPod)).isEqualTo(names(epR));
    assertThat(fromPod).allMatch(r -> r.seenSource().equals(client.ipv4()));
  }

  @Test
  @DisplayName("iTP=Local: a pod reaches node-local endpoints only; none local -> dropped")
  @Requires(Capability.DROP)
  void internalLocal() throws Exception {
    cluster.apply(
        service("itp", "10.96.1.20").internalTrafficPolicy("Local").build(),
        slice("itp", IpFamily.V4, epA, epR),
        service("itp-remote", "10.96.1.21").internalTrafficPolicy("Local").build(),
        slice("itp-remote", IpFamily.V4, epR));

    List<Reply> local =
        lab.tcpRequests(client.netns(), null, IpAddress.parse("10.96.1.20"), PORT, 30, ANSWER);
    Reply noLocalTcp =
        lab.tcpRequest(client.netns(), IpAddress.parse("10.96.1.21"), PORT, DROP_WAIT);
    Reply noLocalUdp =
        lab.udpRequest(client.netns(), IpAddress.parse("10.96.1.21"), PORT, DROP_WAIT);

    assertThat(servers(local)).isEqualTo(names(epA));
    assertThat(noLocalTcp.outcome()).as("%s", noLocalTcp).isEqualTo(Outcome.TIMEOUT);
    assertThat(noLocalUdp.outcome()).as("%s", noLocalUdp).isEqualTo(Outcome.TIMEOUT);
  }

  @Test
  @DisplayName("ClientIP affinity: each client's 20 connections all reach one endpoint")
  void clientIpAffinity() throws Exception {
    cluster.apply(
        service("sticky", "10.96.1.30").sessionAffinity("ClientIP", 300).build(),
        slice("sticky", IpFamily.V4, epA, epB, epR));
    IpAddress vip = IpAddress.parse("10.96.1.30");

    List<Reply> pod = lab.tcpRequests(client.netns(), null, vip, PORT, 20, ANSWER);
    assertThat(servers(pod)).as("pod client").hasSize(1);
    // Other clients (other source addresses) may land elsewhere, each sticking to its choice.
    for (int i = 1; i <= 3; i++) {
      IpAddress source = NetnsLab.outsideClientIp(IpFamily.V4, i);
      List<Reply> replies = lab.tcpRequests(lab.outsideNs(), source, vip, PORT, 20, ANSWER);
      assertThat(servers(replies)).as("client %s", source).hasSize(1);
    }
    List<Reply> udp = lab.udpRequests(client.netns(), null, 0, vip, PORT, 20, ANSWER);
    assertThat(servers(udp)).as("pod client over UDP").hasSize(1);
  }

  /**
   * Upstream: the affinity timeout counts from a client's last new connection. Each of five
   * outside clients connects at t=0, once more at t=2 s, and again at t=3.5 s, after its first
   * choice alone would have expired (timeout 3 s); it must still reach its first endpoint. Had
   * the t=2 s connection not refreshed the timeout, all five would have to re-pick their own
   * endpoint by chance (probability 3^-5).
   */
  @Test
  @DisplayName("ClientIP affinity: every new connection refreshes the timeout, so a returning client keeps its endpoint")
  @Requires(Capability.AFFINITY_REFRESH)
  void clientIpAffinityTimeoutIsRefreshed() throws Exception {
    cluster.apply(
        service("refresh", "10.96.1.31").sessionAffinity("ClientIP", 3).build(),
        slice("refresh", IpFamily.V4, epA, epB, epR));
    IpAddress vip = IpAddress.parse("10.96.1.31");

    Map<IpAddress, String> chosen = new LinkedHashMap<>();
    for (IpAddress source : outsideClients()) {
      chosen.put(source, onlyServer(lab.tcpRequests(lab.outsideNs(), source, vip, PORT, 3, ANSWER), source));
    }
    long firstDone = System.nanoTime();
    sleepUntil(firstDone + Duration.ofSeconds(2).toNanos());
    long refreshStart = System.nanoTime();
    for (IpAddress source : chosen.keySet()) {
      assertThat(onlyServer(lab.tcpRequests(lab.outsideNs(), source, vip, PORT, 1, ANSWER), source))
          .as("client %s within the timeout", source).isEqualTo(chosen.get(source));
    }
    sleepUntil(firstDone + Duration.ofMillis(3500).toNanos());
    for (IpAddress source : chosen.keySet()) {
      assertThat(onlyServer(lab.tcpRequests(lab.outsideNs(), source, vip, PORT, 3, ANSWER), source))
          .as("client %s after its refresh", source).isEqualTo(chosen.get(source));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - refreshStart))
        .as("the last connections came within the timeout of the refreshing ones")
        .isLessThan(Duration.ofSeconds(3));
  }

  /**
   * Upstream: when a client's endpoint goes away its client is balanced anew (never sent to the
   * removed endpoint) and sticks to the new choice, while clients of the remaining endpoints
   * keep theirs.
   */
  @Test
  @DisplayName("ClientIP affinity: removing a client's endpoint re-balances it to a live one; others keep theirs")
  void clientIpAffinityRebalancesRemovedEndpoint() throws Exception {
    cluster.apply(
        service("rebalance", "10.96.1.32").sessionAffinity("ClientIP", 300).build(),
        slice("rebalance", IpFamily.V4, epA, epB, epR));
    IpAddress vip = IpAddress.parse("10.96.1.32");
    Map<IpAddress, String> before = new LinkedHashMap<>();
    for (IpAddress source : outsideClients()) {
      before.put(source, onlyServer(lab.tcpRequests(lab.outsideNs(), source, vip, PORT, 3, ANSWER), source));
    }
    String removed = before.values().iterator().next();
    List<Pod> remaining = new ArrayList<>();
    for (Pod pod : List.of(epA, epB, epR)) {
      if (!pod.name().equals(removed)) {
        remaining.add(pod);
      }
    }

    cluster.apply(slice("rebalance", IpFamily.V4, remaining.toArray(new Pod[0])));

    for (Map.Entry<IpAddress, String> e : before.entrySet()) {
      String now = onlyServer(lab.tcpRequests(lab.outsideNs(), e.getKey(), vip, PORT, 5, ANSWER), e.getKey());
      if (e.getValue().equals(removed)) {
        assertThat(now).as("client %s of the removed endpoint", e.getKey())
            .isIn(names(remaining.toArray(new Pod[0])));
      } else {
        assertThat(now).as("client %s of a remaining endpoint", e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  private static List<IpAddress> outsideClients() {
    List<IpAddress> clients = new ArrayList<>();
    for (int i = 0; i < NetnsLab.OUTSIDE_CLIENTS; i++) {
      clients.add(NetnsLab.outsideClientIp(IpFamily.V4, i));
    }
    return clients;
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left = nanoTime - System.nanoTime();
    if (left > 0) {
      Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }
  }

  @Test
  @DisplayName("loadBalancerSourceRanges: allowed client passes, other dropped, NodePort open")
  @Requires(Capability.DROP)
  void loadBalancerSourceRanges() throws Exception {
    IpAddress allowed = NetnsLab.outsideClientIp(IpFamily.V4, 0);
    IpAddress blocked = NetnsLab.outsideClientIp(IpFamily.V4, 1);
    cluster.apply(
        Service.builder(LabCluster.NAMESPACE, "fw")
            .type("LoadBalancer")
            .clusterIp("10.96.1.40")
            .port("tcp", "TCP", PORT, 30091)
            .loadBalancerIngress(LB_IP.toString())
            .loadBalancerSourceRange(allowed + "/32")
            .build(),
        slice("fw", IpFamily.V4, epA, epR));

    Reply pass = lab.tcpRequest(lab.outsideNs(), allowed, LB_IP, PORT, ANSWER);
    Reply drop = lab.tcpRequest(lab.outsideNs(), blocked, LB_IP, PORT, DROP_WAIT);
    Reply nodePort = lab.tcpRequest(lab.outsideNs(), blocked, NetnsLab.NODE_IP, 30091, ANSWER);

    assertThat(pass.outcome()).as("%s", pass).isEqualTo(Outcome.ANSWERED);
    assertThat(drop.outcome()).as("%s", drop).isEqualTo(Outcome.TIMEOUT);
    assertThat(nodePort.outcome()).as("%s", nodePort).isEqualTo(Outcome.ANSWERED);
  }

  @Test
  @DisplayName("eTP=Local from a pod: the ExternalIP short-circuits to every endpoint")
  @Requires(Capability.EXTERNAL_LOCAL_SHORT_CIRCUIT)
  void externalLocalFromAPodReachesEveryEndpoint() throws Exception {
    cluster.apply(localExternal("local-sc"), slice("local-sc", IpFamily.V4, epA, epR));

    List<Reply> fromPod = lab.tcpRequests(client.netns(), null, EXTERNAL_IP, PORT, 40, ANSWER);

    assertThat(servers(fromPod)).isEqualTo(names(epA, epR));
  }

  @Test
  @DisplayName("the node's own packets are dropped too: iTP=Local without local endpoint, LB ranges")
  @Requires(Capability.DROP_FROM_NODE)
  void nodeTrafficIsDroppedToo() throws Exception {
    cluster.apply(
        service("itp-node", "10.96.1.22").internalTrafficPolicy("Local").build(),
        slice("itp-node", IpFamily.V4, epR),
        Service.builder(LabCluster.NAMESPACE, "fw-node")
            .type("LoadBalancer")
            .clusterIp("10.96.1.41")
            .port("tcp", "TCP", PORT, 30092)
            .loadBalancerIngress(LB_IP.toString())
            .loadBalancerSourceRange(NetnsLab.outsideClientIp(IpFamily.V4, 0) + "/32")
            .build(),
        slice("fw-node", IpFamily.V4, epA, epR));

    Reply noLocal =
        lab.tcpRequest(lab.nodeNs(), IpAddress.parse("10.96.1.22"), PORT, DROP_WAIT);
    Reply outOfRange = lab.tcpRequest(lab.nodeNs(), NetnsLab.NODE_IP, LB_IP, PORT, DROP_WAIT);

    // Dropped in the node's OUTPUT path, a connect fails at once with EPERM instead.
    for (Reply reply : List.of(noLocal, outOfRange)) {
      assertThat(
              reply.outcome() == Outcome.TIMEOUT
                  || reply.text().contains("Operation not permitted"))
          .as("%s", reply)
          .isTrue();
    }
  }

  @Test
  @DisplayName("terminating fallback: with no ready endpoint, serving terminating ones get traffic")
  void terminatingFallback() throws Exception {
    var slice = LabCluster.sliceBuilder("draining", IpFamily.V4);
    for (Pod pod : List.of(epA, epB)) {
      slice.endpoint(pod.ipv4().toString(), false, true, true, nodeOf(pod), null, null, null);
    }
    // Terminating and no longer serving: never a fallback target.
    slice.endpoint(epR.ipv4().toString(), false, false, true, nodeOf(epR), null, null, null);
    cluster.apply(service("draining", "10.96.1.50").build(), slice.build());

    List<Reply> replies =
        lab.tcpRequests(client.netns(), null, IpAddress.parse("10.96.1.50"), PORT, 40, ANSWER);

    assertThat(servers(replies)).isEqualTo(names(epA, epB));
  }
}
