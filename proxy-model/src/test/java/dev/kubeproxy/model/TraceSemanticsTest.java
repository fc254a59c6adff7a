package dev.kubeproxy.model;

import static dev.kubeproxy.model.Fixtures.CONFIG;
import static dev.kubeproxy.model.Fixtures.NODE;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector.Mode;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;
import dev.kubeproxy.model.trace.Packet;
import dev.kubeproxy.model.trace.Packet.Origin;
import dev.kubeproxy.model.trace.Trace;
import dev.kubeproxy.model.trace.TraceResult;
import dev.kubeproxy.model.trace.TraceResult.Destination;
import dev.kubeproxy.model.trace.TraceResult.Verdict;
import java.time.Clock;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * DESIGN §5 end to end: tables built by {@link TableBuilder} from Services and EndpointSlices,
 * then packets traced through them. Node {@code node-a} (192.168.0.10, zone z1, pod CIDR
 * 10.244.1.0/24); cluster CIDR 10.244.0.0/16; pods of node-a are 10.244.1.x, of node-b
 * 10.244.2.x; outside clients are 203.0.113.x and 198.51.100.x.
 */
class TraceSemanticsTest {
  private static final String NODE_IP = "192.168.0.10";
  private static final String REMOTE = "node-b";
  private static final String POD = "10.244.1.5";
  private static final String CLIENT = "203.0.113.50";
  private static final Node THIS_NODE =
      new Node(
          NODE,
          ImmutableList.of(IpAddress.parse(NODE_IP)),
          ImmutableMap.of(Node.LABEL_ZONE, "z1"),
          ImmutableList.of(Cidr.parse("10.244.1.0/24")));
  private static final ProxyConfig CLUSTER_CIDR =
      CONFIG.toBuilder()
          .clusterCidrs(List.of(Cidr.parse("10.244.0.0/16")))
          .detectLocal(Mode.CLUSTER_CIDR)
          .build();

  private static ForwardingTable table(ProxyConfig config, Service service, EndpointSlice... slices) {
    return TableBuilder.build(
        IpFamily.V4, Fixtures.snapshot(THIS_NODE, List.of(service), List.of(slices)), config);
  }

  private static ForwardingTable table(Service service, EndpointSlice... slices) {
    return table(CLUSTER_CIDR, service, slices);
  }

  private static TraceResult trace(ForwardingTable table, String source, String destination, int port, Origin origin) {
    return Trace.of(table, new Packet(IpAddress.parse(source), IpAddress.parse(destination), port, Protocol.TCP, origin));
  }

  private static List<String> endpoints(TraceResult r) {
    return r.destinations().stream().map(d -> d.endpoint().toString()).collect(Collectors.toList());
  }

  /** A NodePort service {@code ns/name} port http 80/TCP on NodePort {@code nodePort}. */
  private static Service.Builder nodePort(String name, String clusterIp, int nodePort) {
    return Service.builder("ns", name).type("NodePort").clusterIp(clusterIp).port("http", "TCP", 80, nodePort);
  }

  /** A LoadBalancer service at {@code lbIp} with NodePort {@code nodePort}. */
  private static Service.Builder loadBalancer(String name, String clusterIp, int nodePort, String lbIp) {
    return Service.builder("ns", name).type("LoadBalancer").clusterIp(clusterIp)
        .port("http", "TCP", 80, nodePort).loadBalancerIngress(lbIp);
  }

  /** A slice of {@code service} with ready endpoints {@code ip@node} and port http 8080. */
  private static EndpointSlice ready(String service, String... ipAtNode) {
    EndpointSlice.Builder b = Fixtures.slice(service + "-1", service);
    for (String s : ipAtNode) {
      String[] parts = s.split("@");
      b.endpoint(parts[0], parts[1]);
    }
    return b.build();
  }

  private static EndpointSlice.Builder conditions(
      EndpointSlice.Builder b, String ip, boolean ready, boolean serving, boolean terminating, String node) {
    return b.endpoint(ip, ready, serving, terminating, node, null, null, null);
  }

  private static EndpointSlice.Builder hinted(
      EndpointSlice.Builder b, String ip, String node, List<String> zones, List<String> nodes) {
    return b.endpoint(ip, true, true, false, node, null, zones, nodes);
  }

  @Nested
  @DisplayName("externalTrafficPolicy Local")
  class ExternalLocal {
    final ForwardingTable table = table(
        loadBalancer("local", "10.96.0.30", 30090, "198.51.100.8").externalTrafficPolicy("Local").build(),
        ready("local", "10.244.1.9@" + NODE, "10.244.2.9@" + REMOTE));

    @Test
    @DisplayName("from outside, NodePort and LB IP reach the local endpoints only, source preserved")
    void outside() {
      for (String[] dst : new String[][] {{NODE_IP, "30090"}, {"198.51.100.8", "80"}}) {
        TraceResult r = trace(table, CLIENT, dst[0], Integer.parseInt(dst[1]), Origin.EXTERNAL);
        assertThat(r.verdict()).as("%s", r).isEqualTo(Verdict.FORWARD);
        assertThat(endpoints(r)).as("%s", r).containsExactly("10.244.1.9:8080");
        assertThat(r.masqueraded()).as("%s", r).isFalse();
      }
    }

    @Test
    @DisplayName("a local pod's traffic short-circuits to the cluster-wide endpoints, not masqueraded")
    void fromPod() {
      TraceResult r = trace(table, POD, "198.51.100.8", 80, Origin.POD);
      assertThat(r.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(endpoints(r)).containsExactly("10.244.1.9:8080", "10.244.2.9:8080");
      assertThat(r.masqueraded()).isFalse();
    }

    @Test
    @DisplayName("the node's own traffic short-circuits to the cluster-wide endpoints and is masqueraded")
    void fromNode() {
      TraceResult r = trace(table, NODE_IP, NODE_IP, 30090, Origin.NODE);
      assertThat(r.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(endpoints(r)).containsExactly("10.244.1.9:8080", "10.244.2.9:8080");
      assertThat(r.masqueraded()).isTrue();
    }

    @Test
    @DisplayName("endpoints exist but none local: outside traffic is DROPped, a pod still reaches the remote ones")
    void noLocalEndpoint() {
      ForwardingTable remoteOnly = table(
          loadBalancer("local", "10.96.0.30", 30090, "198.51.100.8").externalTrafficPolicy("Local").build(),
          ready("local", "10.244.2.9@" + REMOTE));
      assertThat(trace(remoteOnly, CLIENT, NODE_IP, 30090, Origin.EXTERNAL).verdict()).isEqualTo(Verdict.DROP);
      assertThat(trace(remoteOnly, CLIENT, "198.51.100.8", 80, Origin.EXTERNAL).verdict()).isEqualTo(Verdict.DROP);
      TraceResult pod = trace(remoteOnly, POD, "198.51.100.8", 80, Origin.POD);
      assertThat(pod.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(endpoints(pod)).containsExactly("10.244.2.9:8080");
    }
  }

  @Nested
  @DisplayName("internalTrafficPolicy Local")
  class InternalLocal {
    @Test
    @DisplayName("endpoints exist but none local: ClusterIP traffic is DROPped")
    void drop() {
      ForwardingTable t = table(
          Fixtures.service("web", "10.96.0.20").internalTrafficPolicy("Local").build(),
          ready("web", "10.244.2.8@" + REMOTE));
      TraceResult r = trace(t, POD, "10.96.0.20", 80, Origin.POD);
      assertThat(r.verdict()).isEqualTo(Verdict.DROP);
      assertThat(r.destinations()).isEmpty();
    }

    @Test
    @DisplayName("ClusterIP traffic reaches the node-local endpoints only")
    void localOnly() {
      ForwardingTable t = table(
          Fixtures.service("web", "10.96.0.20").internalTrafficPolicy("Local").build(),
          ready("web", "10.244.2.8@" + REMOTE, "10.244.1.8@" + NODE));
      TraceResult r = trace(t, POD, "10.96.0.20", 80, Origin.POD);
      assertThat(endpoints(r)).containsExactly("10.244.1.8:8080");
    }
  }

  @Test
  @DisplayName("no usable endpoint anywhere: every frontend REJECTs, even with eTP Local")
  void rejectWithoutEndpoints() {
    EndpointSlice.Builder b = Fixtures.slice("web-1", "web");
    conditions(b, "10.244.1.8", false, false, false, NODE);
    conditions(b, "10.244.2.8", false, false, true, REMOTE);
    ForwardingTable t = table(
        loadBalancer("web", "10.96.0.20", 30080, "198.51.100.7").externalIp("198.51.100.5")
            .externalTrafficPolicy("Local").build(),
        b.build());
    assertThat(trace(t, POD, "10.96.0.20", 80, Origin.POD).verdict()).isEqualTo(Verdict.REJECT);
    assertThat(trace(t, CLIENT, NODE_IP, 30080, Origin.EXTERNAL).verdict()).isEqualTo(Verdict.REJECT);
    assertThat(trace(t, CLIENT, "198.51.100.5", 80, Origin.EXTERNAL).verdict()).isEqualTo(Verdict.REJECT);
    assertThat(trace(t, CLIENT, "198.51.100.7", 80, Origin.EXTERNAL).verdict()).isEqualTo(Verdict.REJECT);
    assertThat(trace(t, POD, "198.51.100.7", 80, Origin.POD).verdict()).isEqualTo(Verdict.REJECT);
  }

  @Test
  @DisplayName("a known ClusterIP on an undefined port or protocol is REJECTed; an unknown IP is not a service")
  void unknownPortOnKnownClusterIp() {
    ForwardingTable t = table(Fixtures.service("web", "10.96.0.20").build(), ready("web", "10.244.2.8@" + REMOTE));
    TraceResult wrongPort = trace(t, POD, "10.96.0.20", 81, Origin.POD);
    assertThat(wrongPort.verdict()).isEqualTo(Verdict.REJECT);
    assertThat(wrongPort.service()).isNull();
    TraceResult wrongProtocol = Trace.of(t, Packet.fromPod(POD, "10.96.0.20", 80, Protocol.UDP));
    assertThat(wrongProtocol.verdict()).isEqualTo(Verdict.REJECT);
    assertThat(trace(t, POD, "10.96.0.21", 80, Origin.POD).verdict()).isEqualTo(Verdict.NOT_A_SERVICE);
  }

  @Test
  @DisplayName("inside a service CIDR: an unallocated address is DROPped, a ClusterIP's unknown port still REJECTed, outside is not a service")
  void unallocatedAddressInsideServiceCidr() {
    ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
    tracker.updateNode(THIS_NODE);
    tracker.upsertService(Fixtures.service("web", "10.96.0.20").build());
    tracker.upsertEndpointSlice(ready("web", "10.244.2.8@" + REMOTE));
    tracker.upsertServiceCidr(ServiceCidr.parse("kubernetes", List.of("10.96.0.0/16", "fd00:10:96::/112")));
    ForwardingTable t = TableBuilder.build(IpFamily.V4, tracker.drain().snapshot(), CLUSTER_CIDR);

    assertThat(t.serviceCidrs()).containsExactly(Cidr.parse("10.96.0.0/16"));
    TraceResult unallocated = trace(t, POD, "10.96.0.21", 80, Origin.POD);
    assertThat(unallocated.verdict()).isEqualTo(Verdict.DROP);
    assertThat(unallocated.reasons()).anyMatch(r -> r.contains("inside service CIDR 10.96.0.0/16"));
    assertThat(trace(t, NODE_IP, "10.96.255.255", 443, Origin.NODE).verdict()).isEqualTo(Verdict.DROP);
    assertThat(trace(t, POD, "10.96.0.20", 81, Origin.POD).verdict()).isEqualTo(Verdict.REJECT);
    assertThat(trace(t, POD, "10.96.0.20", 80, Origin.POD).verdict()).isEqualTo(Verdict.FORWARD);
    assertThat(trace(t, POD, "10.97.0.1", 80, Origin.POD).verdict()).isEqualTo(Verdict.NOT_A_SERVICE);
  }

  @Nested
  @DisplayName("loadBalancerSourceRanges")
  class SourceRanges {
    final ForwardingTable table = table(
        loadBalancer("fw", "10.96.0.40", 30040, "198.51.100.7").loadBalancerSourceRange("203.0.113.0/24").build(),
        ready("fw", "10.244.2.4@" + REMOTE));

    @Test
    @DisplayName("LB traffic from inside a range is forwarded; from outside every range it is DROPped")
    void lbIp() {
      TraceResult allowed = trace(table, CLIENT, "198.51.100.7", 80, Origin.EXTERNAL);
      assertThat(allowed.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(endpoints(allowed)).containsExactly("10.244.2.4:8080");
      assertThat(trace(table, "198.51.100.1", "198.51.100.7", 80, Origin.EXTERNAL).verdict())
          .isEqualTo(Verdict.DROP);
      assertThat(trace(table, "198.51.100.7", "198.51.100.7", 80, Origin.EXTERNAL).verdict())
          .as("the LB IP as source, node IP outside every range").isEqualTo(Verdict.DROP);
    }

    @Test
    @DisplayName("the ranges apply to LB IPs only: NodePort and ClusterIP accept any source")
    void notOnNodePortOrClusterIp() {
      TraceResult nodePort = trace(table, "198.51.100.1", NODE_IP, 30040, Origin.EXTERNAL);
      assertThat(nodePort.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(endpoints(nodePort)).containsExactly("10.244.2.4:8080");
      assertThat(trace(table, "198.51.100.1", "10.96.0.40", 80, Origin.EXTERNAL).verdict())
          .isEqualTo(Verdict.FORWARD);
    }

    @Test
    @DisplayName("when the node's IP is inside a range, the LB IPs themselves are allowed sources too")
    void nodeInRangeAllowsLbIps() {
      ForwardingTable t = table(
          loadBalancer("fw", "10.96.0.40", 30040, "198.51.100.7").loadBalancerSourceRange("192.168.0.0/16").build(),
          ready("fw", "10.244.2.4@" + REMOTE));
      assertThat(trace(t, "198.51.100.7", "198.51.100.7", 80, Origin.EXTERNAL).verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(trace(t, "198.51.100.9", "198.51.100.7", 80, Origin.EXTERNAL).verdict()).isEqualTo(Verdict.DROP);
    }
  }

  /**
   * ClusterIP masquerade by detector mode: a source the detector counts as a local pod is not
   * masqueraded, any other source is; with no detector nothing is; masqueradeAll masquerades
   * everything. External traffic with eTP Cluster is always masqueraded.
   */
  @ParameterizedTest(name = "{0} masqueradeAll={1}: {2} from {3} -> ClusterIP masq={4}, NodePort masq={5}")
  @CsvSource({
      "CLUSTER_CIDR, false, 10.244.1.5, POD, false, true",
      "CLUSTER_CIDR, false, 10.244.2.5, EXTERNAL, false, true",
      "CLUSTER_CIDR, false, 172.16.5.5, EXTERNAL, true, true",
      "NODE_CIDR, false, 10.244.1.5, POD, false, true",
      "NODE_CIDR, false, 10.244.2.5, EXTERNAL, true, true",
      "BRIDGE_INTERFACE, false, 10.244.1.5, POD, false, true",
      "BRIDGE_INTERFACE, false, 10.244.2.5, EXTERNAL, true, true",
      "INTERFACE_NAME_PREFIX, false, 10.244.1.5, POD, false, true",
      "INTERFACE_NAME_PREFIX, false, 172.16.5.5, EXTERNAL, true, true",
      "NONE, false, 172.16.5.5, EXTERNAL, false, true",
      "NONE, false, 10.244.1.5, POD, false, true",
      "CLUSTER_CIDR, true, 10.244.1.5, POD, true, true",
      "NONE, true, 10.244.1.5, POD, true, true",
  })
  void masqueradeByDetector(
      Mode mode, boolean all, String source, Origin origin, boolean clusterIpMasq, boolean nodePortMasq) {
    ProxyConfig config = CLUSTER_CIDR.toBuilder().detectLocal(mode, "cbr0", "veth").masqueradeAll(all).build();
    ForwardingTable t = table(config, nodePort("web", "10.96.0.20", 30080).build(), ready("web", "10.244.2.8@" + REMOTE));
    TraceResult clusterIp = trace(t, source, "10.96.0.20", 80, origin);
    assertThat(clusterIp.verdict()).isEqualTo(Verdict.FORWARD);
    assertThat(clusterIp.masqueraded()).as("ClusterIP %s", clusterIp).isEqualTo(clusterIpMasq);
    TraceResult external = trace(t, source, NODE_IP, 30080, origin);
    assertThat(external.verdict()).isEqualTo(Verdict.FORWARD);
    assertThat(external.masqueraded()).as("NodePort %s", external).isEqualTo(nodePortMasq);
  }

  @Test
  @DisplayName("hairpin: a pod reaching itself through its service is masqueraded on that path only")
  void hairpin() {
    ForwardingTable t = table(
        Fixtures.service("web", "10.96.0.20").build(), ready("web", "10.244.1.7@" + NODE, "10.244.2.7@" + REMOTE));
    TraceResult r = trace(t, "10.244.1.7", "10.96.0.20", 80, Origin.POD);
    assertThat(r.masqueraded()).isFalse();
    assertThat(r.destinations()).extracting(d -> d.endpoint().toString(), Destination::masqueraded)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.244.1.7:8080", true),
            org.assertj.core.groups.Tuple.tuple("10.244.2.7:8080", false));
  }

  @Nested
  @DisplayName("terminating fallback")
  class Terminating {
    @Test
    @DisplayName("no Ready endpoint: traffic goes to the serving-and-terminating ones, never to non-serving ones")
    void clusterFallback() {
      EndpointSlice.Builder b = Fixtures.slice("web-1", "web");
      conditions(b, "10.244.2.1", false, true, true, REMOTE);
      conditions(b, "10.244.2.2", false, false, true, REMOTE);
      conditions(b, "10.244.2.3", false, false, false, REMOTE);
      ForwardingTable t = table(Fixtures.service("web", "10.96.0.20").build(), b.build());
      TraceResult r = trace(t, POD, "10.96.0.20", 80, Origin.POD);
      assertThat(r.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(endpoints(r)).containsExactly("10.244.2.1:8080");
    }

    @Test
    @DisplayName("a Ready endpoint anywhere: terminating ones get no new traffic")
    void readyWins() {
      EndpointSlice.Builder b = Fixtures.slice("web-1", "web");
      conditions(b, "10.244.2.1", false, true, true, REMOTE);
      conditions(b, "10.244.2.2", true, true, false, REMOTE);
      ForwardingTable t = table(Fixtures.service("web", "10.96.0.20").build(), b.build());
      assertThat(endpoints(trace(t, POD, "10.96.0.20", 80, Origin.POD))).containsExactly("10.244.2.2:8080");
    }

    @Test
    @DisplayName("eTP Local: no local Ready endpoint but a local terminating one -> outside traffic goes to it,"
        + " while a pod's short-circuit uses the cluster-wide Ready ones")
    void localFallbackIsSeparate() {
      EndpointSlice.Builder b = Fixtures.slice("local-1", "local");
      conditions(b, "10.244.1.3", false, true, true, NODE);
      conditions(b, "10.244.2.3", true, true, false, REMOTE);
      ForwardingTable t = table(
          nodePort("local", "10.96.0.30", 30090).externalTrafficPolicy("Local").build(), b.build());
      TraceResult outside = trace(t, CLIENT, NODE_IP, 30090, Origin.EXTERNAL);
      assertThat(outside.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(endpoints(outside)).containsExactly("10.244.1.3:8080");
      assertThat(endpoints(trace(t, POD, NODE_IP, 30090, Origin.POD))).containsExactly("10.244.2.3:8080");
    }
  }

  @Nested
  @DisplayName("topology hints")
  class Topology {
    @Test
    @DisplayName("every Ready endpoint has zone hints and one names this node's zone: ClusterIP traffic stays in the zone")
    void zoneHintsNarrow() {
      EndpointSlice.Builder b = Fixtures.slice("web-1", "web");
      hinted(b, "10.244.2.1", REMOTE, List.of("z1"), null);
      hinted(b, "10.244.2.2", REMOTE, List.of("z2"), null);
      ForwardingTable t = table(Fixtures.service("web", "10.96.0.20").build(), b.build());
      assertThat(endpoints(trace(t, POD, "10.96.0.20", 80, Origin.POD))).containsExactly("10.244.2.1:8080");
    }

    @Test
    @DisplayName("one Ready endpoint without hints, or no hint for this zone: no narrowing")
    void noNarrowing() {
      EndpointSlice.Builder partial = Fixtures.slice("web-1", "web");
      hinted(partial, "10.244.2.1", REMOTE, List.of("z1"), null);
      hinted(partial, "10.244.2.2", REMOTE, null, null);
      ForwardingTable t = table(Fixtures.service("web", "10.96.0.20").build(), partial.build());
      assertThat(endpoints(trace(t, POD, "10.96.0.20", 80, Origin.POD)))
          .containsExactly("10.244.2.1:8080", "10.244.2.2:8080");

      EndpointSlice.Builder elsewhere = Fixtures.slice("web-1", "web");
      hinted(elsewhere, "10.244.2.1", REMOTE, List.of("z2"), null);
      hinted(elsewhere, "10.244.2.2", REMOTE, List.of("z3"), null);
      ForwardingTable u = table(Fixtures.service("web", "10.96.0.20").build(), elsewhere.build());
      assertThat(endpoints(trace(u, POD, "10.96.0.20", 80, Origin.POD)))
          .containsExactly("10.244.2.1:8080", "10.244.2.2:8080");
    }

    @Test
    @DisplayName("node hints (PreferSameNode) win over zone hints when every Ready endpoint has them")
    void nodeHints() {
      EndpointSlice.Builder b = Fixtures.slice("web-1", "web");
      hinted(b, "10.244.2.1", REMOTE, List.of("z1"), List.of(REMOTE));
      hinted(b, "10.244.1.2", NODE, List.of("z1"), List.of(NODE));
      ForwardingTable t = table(Fixtures.service("web", "10.96.0.20").build(), b.build());
      assertThat(endpoints(trace(t, POD, "10.96.0.20", 80, Origin.POD))).containsExactly("10.244.1.2:8080");
    }

    @Test
    @DisplayName("topology does not narrow the local set: eTP Local outside traffic reaches the local endpoint"
        + " even when its hint names another zone")
    void localSetIgnoresHints() {
      EndpointSlice.Builder b = Fixtures.slice("local-1", "local");
      hinted(b, "10.244.1.4", NODE, List.of("z2"), null);
      hinted(b, "10.244.2.4", REMOTE, List.of("z1"), null);
      ForwardingTable t = table(
          nodePort("local", "10.96.0.30", 30090).externalTrafficPolicy("Local").build(), b.build());
      assertThat(endpoints(trace(t, CLIENT, NODE_IP, 30090, Origin.EXTERNAL))).containsExactly("10.244.1.4:8080");
      assertThat(endpoints(trace(t, POD, "10.96.0.30", 80, Origin.POD))).containsExactly("10.244.2.4:8080");
    }
  }

  @Test
  @DisplayName("the fixture Node and cluster CIDR reach the table as node address and ClusterCIDR detector")
  void tableFacts() {
    ForwardingTable t = table(Fixtures.service("web", "10.96.0.20").build());
    assertThat(t.nodeAddresses()).containsExactly(IpAddress.parse(NODE_IP));
    assertThat(t.localDetector().mode()).isEqualTo(Mode.CLUSTER_CIDR);
  }
}
