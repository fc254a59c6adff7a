package dev.kubeproxy.model.conformance;

import static dev.kubeproxy.model.conformance.LabCluster.PORT;
import static dev.kubeproxy.model.conformance.LabCluster.names;
import static dev.kubeproxy.model.conformance.LabCluster.servers;
import static dev.kubeproxy.model.conformance.LabCluster.service;
import static dev.kubeproxy.model.conformance.LabCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.api.testing.lab.Reply.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Real packets through a backend's rules in a {@link NetnsLab}: dispatch of every frontend kind,
 * rejects, and where masquerade happens, observed at the endpoint servers (they answer with their
 * name and the source address they saw). A backend runs it as {@code <Mode>TrafficKernelTest}.
 */
public abstract class TrafficConformanceSuite extends LabSuite {
  /** Long enough that a REFUSED within {@link #QUICK} cannot be a timeout in disguise. */
  private static final Duration REJECT_WAIT = Duration.ofSeconds(3);

  private static final Duration QUICK = Duration.ofMillis(1500);
  /** Expected drops: long enough for an answer on this lab, short enough to keep tests fast. */
  private static final Duration DROP_WAIT = Duration.ofMillis(700);
  /** Enough requests that missing one of three endpoints at random has odds below 1e-6. */
  private static final int MANY = 40;

  private static final String EXTERNAL_IP = "198.51.100.10";
  private static final String LB_IP = "198.51.100.20";

  /** Each endpoint also serves TCP only on 8081 and UDP only on 9091: a mix-up goes unanswered. */
  @BeforeAll
  void serveSingleProtocolPorts() throws CommandException {
    for (Pod pod : List.of(epA, epB, epR)) {
      lab.serve(pod, Protocol.TCP, 8081);
      lab.serve(pod, Protocol.UDP, 9091);
    }
  }

  private static IpAddress ip(String address) {
    return IpAddress.parse(address);
  }

  @Test
  @DisplayName("ClusterIP: TCP and UDP connections from a pod are spread over every endpoint")
  void clusterIpReachesEveryEndpoint() throws Exception {
    cluster.apply(service("web", "10.96.0.10").build(), slice("web", IpFamily.V4, epA, epB, epR));

    List<Reply> tcp = lab.tcpRequests(client.netns(), null, ip("10.96.0.10"), PORT, MANY, ANSWER);
    List<Reply> udp =
        lab.udpRequests(client.netns(), null, 0, ip("10.96.0.10"), PORT, MANY, ANSWER);

    assertThat(servers(tcp)).isEqualTo(names(epA, epB, epR));
    assertThat(servers(udp)).isEqualTo(names(epA, epB, epR));
  }

  @Test
  @DisplayName("targetPort: service port 80 is delivered to the endpoints' port 8080")
  void targetPortMapping() throws Exception {
    cluster.apply(service("web", "10.96.0.10").build(), slice("web", IpFamily.V4, epA));

    Reply viaService = lab.tcpRequest(client.netns(), ip("10.96.0.10"), PORT, ANSWER);
    Reply direct = lab.tcpRequest(client.netns(), epA.ipv4(), PORT, ANSWER);

    assertThat(viaService.outcome()).as("%s", viaService).isEqualTo(Outcome.ANSWERED);
    assertThat(viaService.serverName()).isEqualTo("ep-a");
    // Nothing listens on 80 in the pod: the answer above came through the port mapping.
    assertThat(direct.outcome()).as("%s", direct).isEqualTo(Outcome.REFUSED);
  }

  @Test
  @DisplayName("one port number on TCP and UDP maps to each protocol's own target port")
  void samePortTcpAndUdpToDifferentTargetPorts() throws Exception {
    Service dns =
        Service.builder(LabCluster.NAMESPACE, "dns")
            .clusterIp("10.96.0.53")
            .port("dns-tcp", "TCP", 53)
            .port("dns-udp", "UDP", 53)
            .build();
    EndpointSlice slice =
        EndpointSlice.builder(LabCluster.NAMESPACE, "dns-v4")
            .serviceName("dns")
            .port("dns-tcp", "TCP", 8081)
            .port("dns-udp", "UDP", 9091)
            .endpoint(epA.ipv4().toString(), LabCluster.NODE)
            .endpoint(epR.ipv4().toString(), LabCluster.REMOTE_NODE)
            .build();
    cluster.apply(dns, slice);

    // ep-a and ep-r serve TCP only on 8081 and UDP only on 9091.
    assertThat(servers(lab.tcpRequests(client.netns(), null, ip("10.96.0.53"), 53, 30, ANSWER)))
        .isEqualTo(names(epA, epR));
    assertThat(
            servers(lab.udpRequests(client.netns(), null, 0, ip("10.96.0.53"), 53, 30, ANSWER)))
        .isEqualTo(names(epA, epR));
  }

  @Test
  @DisplayName("an unknown port on a known ClusterIP is rejected at once (TCP reset, ICMP)")
  @Requires(Capability.REJECT)
  void unknownPortOnClusterIpRefused() throws Exception {
    cluster.apply(service("web", "10.96.0.10").build(), slice("web", IpFamily.V4, epA));

    assertRefusedQuickly(() -> lab.tcpRequest(client.netns(), ip("10.96.0.10"), 81, REJECT_WAIT));
    assertRefusedQuickly(() -> lab.udpRequest(client.netns(), ip("10.96.0.10"), 81, REJECT_WAIT));
  }

  @Test
  @DisplayName("a service without endpoints is rejected at once over TCP and UDP, not dropped")
  @Requires(Capability.REJECT)
  void serviceWithoutEndpointsRefused() throws Exception {
    cluster.apply(
        service("empty", "10.96.0.20").build(), LabCluster.sliceBuilder("empty", IpFamily.V4)
            .build());

    assertRefusedQuickly(
        () -> lab.tcpRequest(client.netns(), ip("10.96.0.20"), PORT, REJECT_WAIT));
    assertRefusedQuickly(
        () -> lab.udpRequest(client.netns(), ip("10.96.0.20"), PORT, REJECT_WAIT));
  }

  /**
   * Upstream's nftables mode drops traffic to an address inside a ServiceCIDR that no Service
   * holds. The lab has nothing at an unallocated 10.96.0.0/16 address, so a second ServiceCIDR
   * holds just the remote pod's address: it answers when nothing drops it, so the test fails
   * without the drop. Allocated ClusterIPs (and their unknown ports) and addresses outside every
   * ServiceCIDR are untouched.
   */
  @Test
  @DisplayName("ServiceCIDRs: an unallocated address inside one is dropped (no answer, no reject); ClusterIPs and other addresses pass")
  @Requires({Capability.UNALLOCATED_SERVICE_IP_DROP, Capability.REJECT})
  void unallocatedServiceIpDropped() throws Exception {
    IpAddress unallocated = epR.ipv4();
    cluster.apply(
        ServiceCidr.parse("kubernetes", List.of("10.96.0.0/16")),
        ServiceCidr.parse("lab-remote-pod", List.of(unallocated + "/32")),
        service("web", "10.96.0.40").build(),
        slice("web", IpFamily.V4, epA));

    Reply tcp = lab.tcpRequest(client.netns(), unallocated, LabCluster.TARGET_PORT, DROP_WAIT);
    Reply udp = lab.udpRequest(client.netns(), unallocated, LabCluster.TARGET_PORT, DROP_WAIT);
    Reply free = lab.tcpRequest(client.netns(), ip("10.96.0.41"), PORT, DROP_WAIT);
    assertThat(tcp.outcome()).as("%s", tcp).isEqualTo(Outcome.TIMEOUT);
    assertThat(udp.outcome()).as("%s", udp).isEqualTo(Outcome.TIMEOUT);
    assertThat(free.outcome()).as("%s", free).isEqualTo(Outcome.TIMEOUT);
    assertThat(servers(lab.tcpRequests(client.netns(), null, ip("10.96.0.40"), PORT, 3, ANSWER)))
        .isEqualTo(names(epA));
    assertRefusedQuickly(() -> lab.tcpRequest(client.netns(), ip("10.96.0.40"), 81, REJECT_WAIT));
    assertThat(servers(lab.tcpRequests(client.netns(), null, epB.ipv4(), LabCluster.TARGET_PORT, 1, ANSWER)))
        .as("a pod address outside every ServiceCIDR").isEqualTo(names(epB));

    // Without ServiceCIDRs the remote pod's address is an ordinary destination again.
    cluster.reset(LabCluster.defaultConfig());
    cluster.apply(service("web", "10.96.0.40").build(), slice("web", IpFamily.V4, epA));
    assertThat(servers(lab.tcpRequests(client.netns(), null, unallocated, LabCluster.TARGET_PORT, 1, ANSWER)))
        .isEqualTo(names(epR));
  }

  private static void assertRefusedQuickly(Supplier<Reply> request) {
    long start = System.nanoTime();
    Reply reply = request.get();
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(reply.outcome()).as("%s", reply).isEqualTo(Outcome.REFUSED);
    assertThat(took).as("time to refusal").isLessThan(QUICK);
  }

  private static Service nodePortService() {
    return Service.builder(LabCluster.NAMESPACE, "np")
        .type("NodePort")
        .clusterIp("10.96.0.30")
        .port("tcp", "TCP", PORT, 30080)
        .port("udp", "UDP", PORT, 30080)
        .build();
  }

  @Test
  @DisplayName("NodePort (eTP=Cluster) from outside reaches every endpoint, masqueraded")
  void nodePortFromOutside() throws Exception {
    cluster.apply(nodePortService(), slice("np", IpFamily.V4, epA, epR));
    IpAddress node = NetnsLab.NODE_IP;

    List<Reply> tcp = lab.tcpRequests(lab.outsideNs(), null, node, 30080, 30, ANSWER);
    List<Reply> udp = lab.udpRequests(lab.outsideNs(), null, 0, node, 30080, 30, ANSWER);

    assertThat(servers(tcp)).isEqualTo(names(epA, epR));
    assertThat(servers(udp)).isEqualTo(names(epA, epR));
    assertThat(tcp).allMatch(r -> r.seenSource().equals(node));
    assertThat(udp).allMatch(r -> r.seenSource().equals(node));
  }

  @Test
  @DisplayName("Without nodePortAddresses every local address is a NodePort address")
  @Requires(Capability.NODE_PORT_ON_EVERY_LOCAL_ADDRESS)
  void nodePortOnEveryLocalAddress() throws Exception {
    cluster.apply(nodePortService(), slice("np", IpFamily.V4, epA, epR));

    Reply secondary =
        lab.tcpRequest(lab.outsideNs(), NetnsLab.NODE_SECONDARY_IP, 30080, ANSWER);

    assertThat(secondary.outcome()).as("%s", secondary).isEqualTo(Outcome.ANSWERED);
  }

  @Test
  @DisplayName("nodePortAddresses NODE_IP/32: NodePorts answer on the node IP only")
  void nodePortAddressesRestrictNodePorts() throws Exception {
    cluster.reset(
        LabCluster.defaultConfig().toBuilder()
            .nodePortAddresses(NodePortAddresses.cidrs(NetnsLab.NODE_IP + "/32"))
            .build());
    cluster.apply(nodePortService(), slice("np", IpFamily.V4, epA));

    Reply onNodeIp = lab.tcpRequest(lab.outsideNs(), NetnsLab.NODE_IP, 30080, ANSWER);
    Reply onSecondary =
        lab.tcpRequest(lab.outsideNs(), NetnsLab.NODE_SECONDARY_IP, 30080, ANSWER);

    assertThat(onNodeIp.outcome()).as("%s", onNodeIp).isEqualTo(Outcome.ANSWERED);
    assertThat(onNodeIp.serverName()).isEqualTo("ep-a");
    // Not DNATed: the node's own stack has nothing on 30080 and resets.
    assertThat(onSecondary.outcome()).as("%s", onSecondary).isEqualTo(Outcome.REFUSED);
  }

  @Test
  @DisplayName("ExternalIP routed to the node from outside reaches every endpoint, masqueraded")
  void externalIpFromOutside() throws Exception {
    cluster.apply(
        service("ext", "10.96.0.40").externalIp(EXTERNAL_IP).build(),
        slice("ext", IpFamily.V4, epA, epB, epR));

    List<Reply> tcp =
        lab.tcpRequests(lab.outsideNs(), null, ip(EXTERNAL_IP), PORT, MANY, ANSWER);
    Reply udp = lab.udpRequest(lab.outsideNs(), ip(EXTERNAL_IP), PORT, ANSWER);

    assertThat(servers(tcp)).isEqualTo(names(epA, epB, epR));
    assertThat(tcp).allMatch(r -> r.seenSource().equals(NetnsLab.NODE_IP));
    assertThat(udp.outcome()).as("%s", udp).isEqualTo(Outcome.ANSWERED);
    assertThat(udp.seenSource()).isEqualTo(NetnsLab.NODE_IP);
  }

  @Test
  @DisplayName("LoadBalancer ingress IP from outside reaches every endpoint, masqueraded")
  void loadBalancerIpFromOutside() throws Exception {
    cluster.apply(
        Service.builder(LabCluster.NAMESPACE, "lb")
            .type("LoadBalancer")
            .clusterIp("10.96.0.50")
            .port("tcp", "TCP", PORT, 30081)
            .port("udp", "UDP", PORT, 30081)
            .loadBalancerIngress(LB_IP)
            .build(),
        slice("lb", IpFamily.V4, epA, epB, epR));

    List<Reply> tcp = lab.tcpRequests(lab.outsideNs(), null, ip(LB_IP), PORT, MANY, ANSWER);

    assertThat(servers(tcp)).isEqualTo(names(epA, epB, epR));
    assertThat(tcp).allMatch(r -> r.seenSource().equals(NetnsLab.NODE_IP));
  }

  @Test
  @DisplayName("ClusterIP masquerade (ClusterCIDR detector): not from a pod; from node/outside")
  @Requires(Capability.SOURCE_PRESERVED)
  void clusterIpMasqueradeBySource() throws Exception {
    cluster.apply(service("web", "10.96.0.10").build(), slice("web", IpFamily.V4, epA, epR));
    IpAddress vip = ip("10.96.0.10");

    List<Reply> fromPod = lab.tcpRequests(client.netns(), null, vip, PORT, 20, ANSWER);
    List<Reply> fromNode = lab.tcpRequests(lab.nodeNs(), null, vip, PORT, 20, ANSWER);
    // The outside namespace's default route leads to the node, ClusterIPs included.
    List<Reply> fromOutside = lab.tcpRequests(lab.outsideNs(), null, vip, PORT, 20, ANSWER);
    List<Reply> udpFromOutside =
        lab.udpRequests(lab.outsideNs(), null, 0, vip, PORT, 20, ANSWER);

    assertThat(servers(fromPod)).isEqualTo(names(epA, epR));
    assertThat(fromPod).allMatch(r -> r.seenSource().equals(client.ipv4()));
    assertThat(servers(fromNode)).isEqualTo(names(epA, epR));
    assertThat(fromNode).allMatch(r -> r.seenSource().equals(NetnsLab.NODE_IP));
    assertThat(servers(fromOutside)).isEqualTo(names(epA, epR));
    assertThat(fromOutside).allMatch(r -> r.seenSource().equals(NetnsLab.NODE_IP));
    assertThat(servers(udpFromOutside)).isEqualTo(names(epA, epR));
    assertThat(udpFromOutside).allMatch(r -> r.seenSource().equals(NetnsLab.NODE_IP));
  }

  @Test
  @DisplayName("hairpin: a pod landing on itself via its service sees the node IP, else its own")
  @Requires(Capability.SOURCE_PRESERVED)
  void hairpinIsMasqueraded() throws Exception {
    cluster.apply(service("web", "10.96.0.10").build(), slice("web", IpFamily.V4, epA, epB));

    List<Reply> replies =
        lab.tcpRequests(epA.netns(), null, ip("10.96.0.10"), PORT, MANY, ANSWER);

    assertThat(servers(replies)).isEqualTo(names(epA, epB));
    for (Reply reply : replies) {
      IpAddress expected = reply.serverName().equals("ep-a") ? NetnsLab.NODE_IP : epA.ipv4();
      assertThat(reply.seenSource()).as("%s", reply).isEqualTo(expected);
    }
  }

  @Test
  @DisplayName("IPv6 ClusterIP: every endpoint, pod source kept, node source masqueraded")
  @Requires({Capability.SOURCE_PRESERVED, Capability.REJECT})
  void ipv6ClusterIp() throws Exception {
    cluster.apply(
        service("web6", "10.96.0.70").clusterIp("fd00:96::70").build(),
        slice("web6", IpFamily.V6, epA, epB, epR));
    IpAddress vip = ip("fd00:96::70");

    List<Reply> tcp = lab.tcpRequests(client.netns(), null, vip, PORT, MANY, ANSWER);
    List<Reply> udp = lab.udpRequests(client.netns(), null, 0, vip, PORT, MANY, ANSWER);
    List<Reply> fromNode = lab.tcpRequests(lab.nodeNs(), null, vip, PORT, 10, ANSWER);

    assertThat(servers(tcp)).isEqualTo(names(epA, epB, epR));
    assertThat(servers(udp)).isEqualTo(names(epA, epB, epR));
    assertThat(tcp).allMatch(r -> r.seenSource().equals(client.ipv6()));
    assertThat(servers(fromNode)).isNotEmpty();
    assertThat(fromNode).allMatch(r -> r.seenSource().equals(NetnsLab.nodeIp(IpFamily.V6)));
    assertRefusedQuickly(() -> lab.tcpRequest(client.netns(), vip, 81, REJECT_WAIT));
  }
}
