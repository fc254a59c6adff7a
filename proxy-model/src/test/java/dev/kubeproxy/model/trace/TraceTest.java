package dev.kubeproxy.model.trace;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.api.testing.TableFixtures.localEndpoint;
import static dev.kubeproxy.api.testing.TableFixtures.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.testing.TableFixtures.TableSpec;
import dev.kubeproxy.model.trace.Packet.Origin;
import dev.kubeproxy.model.trace.TraceResult.Destination;
import dev.kubeproxy.model.trace.TraceResult.Verdict;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TraceTest {
  static final String NODE = "192.168.0.10";
  static final String POD = "10.244.1.5";
  static final String CLIENT = "203.0.113.50";

  static final ServiceEntry DNS =
      entry("kube-system", "kube-dns", "dns", Protocol.UDP)
          .clusterIp("10.96.0.10", 53)
          .endpoints(localEndpoint("10.244.1.7", 53), endpoint("10.244.2.9", 53))
          .build();
  static final ServiceEntry WEB =
      entry("default", "web", "http", Protocol.TCP)
          .clusterIp("10.96.0.20", 80)
          .nodePort(30080)
          .externalIp("198.51.100.5", 80)
          .loadBalancer("198.51.100.7", 80)
          .firewallSources("203.0.113.0/24")
          .endpoints(localEndpoint("10.244.1.8", 8080), endpoint("10.244.2.8", 8080))
          .build();
  static final ServiceEntry LOCAL =
      entry("default", "local", "http", Protocol.TCP)
          .clusterIp("10.96.0.30", 80)
          .nodePort(30090)
          .loadBalancer("198.51.100.8", 80)
          .externalPolicyLocal()
          .endpoints(localEndpoint("10.244.1.9", 8080), endpoint("10.244.2.19", 8080))
          .build();
  static final ServiceEntry NO_LOCAL =
      entry("default", "nolocal", "", Protocol.TCP)
          .clusterIp("10.96.0.31", 80)
          .nodePort(30091)
          .externalPolicyLocal()
          .endpoints(endpoint("10.244.2.31", 8080))
          .build();
  static final ServiceEntry EMPTY =
      entry("default", "empty", "", Protocol.TCP)
          .clusterIp("10.96.0.40", 80)
          .nodePort(30092)
          .externalIp("198.51.100.40", 80)
          .build();
  static final ServiceEntry ITP_LOCAL =
      entry("default", "itp", "", Protocol.TCP)
          .clusterIp("10.96.0.50", 80)
          .internalPolicyLocal()
          .endpoints(endpoint("10.244.2.50", 8080))
          .build();
  static final ServiceEntry STICKY =
      entry("default", "sticky", "", Protocol.TCP)
          .clusterIp("10.96.0.60", 80)
          .clientIpAffinity(10800)
          .endpoints(
              endpoint("10.244.2.61", 80), endpoint("10.244.2.62", 80), endpoint("10.244.2.63", 80))
          .build();

  static TableSpec base() {
    return table(IpFamily.V4)
        .nodeAddresses(NODE)
        .clusterCidrDetector("10.244.0.0/16")
        .with(DNS, WEB, LOCAL, NO_LOCAL, EMPTY, ITP_LOCAL, STICKY);
  }

  static final ForwardingTable TABLE = base().build();

  static TraceResult trace(ForwardingTable t, String src, String dst, int port, Protocol p, Origin o) {
    return Trace.of(t, new Packet(IpAddress.parse(src), IpAddress.parse(dst), port, p, o));
  }

  static TraceResult trace(String src, String dst, int port, Protocol p, Origin o) {
    return trace(TABLE, src, dst, port, p, o);
  }

  @Nested
  class ClusterIp {
    @Test
    @DisplayName("ClusterIP from a local pod: DNAT to every internal endpoint with 1/n, no masquerade")
    void fromLocalPod() {
      TraceResult r = trace(POD, "10.96.0.10", 53, Protocol.UDP, Origin.POD);
      assertThat(r.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(r.service()).isEqualTo(ServicePortKey.of("kube-system", "kube-dns", "dns", Protocol.UDP));
      assertThat(r.frontend().kind()).isEqualTo(FrontendKind.CLUSTER_IP);
      assertThat(r.reachableEndpoints())
          .extracting(Object::toString)
          .containsExactly("10.244.1.7:53", "10.244.2.9:53");
      assertThat(r.destinations()).extracting(Destination::probability).containsExactly(0.5, 0.5);
      assertThat(r.masqueraded()).isFalse();
      assertThat(r.destinations()).noneMatch(Destination::masqueraded);
      assertThat(r.reasons()).contains("masquerade: no (source is a local pod)");
      assertThat(r.toText())
          .contains("ClusterIP 10.96.0.10:53/UDP of kube-system/kube-dns:dns")
          .contains("2 endpoints")
          .contains("verdict: FORWARD")
          .contains("10.244.1.7:53 (local) p=0.5000");
    }

    @Test
    @DisplayName("ClusterIP from outside the pod CIDR (detector enabled): masqueraded")
    void fromOutsideMasqueraded() {
      TraceResult r = trace(CLIENT, "10.96.0.20", 80, Protocol.TCP, Origin.EXTERNAL);
      assertThat(r.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(r.masqueraded()).isTrue();
      assertThat(r.destinations()).allMatch(Destination::masqueraded);
      assertThat(r.reasons()).contains("masquerade: yes (source is not a local pod)");
    }

    @Test
    @DisplayName("A source that is a node address is host traffic whatever origin is given")
    void nodeAddressImpliesNodeOrigin() {
      TraceResult r = trace(NODE, "10.96.0.20", 80, Protocol.TCP, Origin.POD);
      assertThat(r.masqueraded()).isTrue();
      assertThat(r.reasons()).anyMatch(s -> s.contains("is a node address"));
    }

    @Test
    @DisplayName("masqueradeAll masquerades ClusterIP traffic even from local pods")
    void masqueradeAll() {
      ForwardingTable t = base().masqueradeAll().build();
      TraceResult r = trace(t, POD, "10.96.0.10", 53, Protocol.UDP, Origin.POD);
      assertThat(r.masqueraded()).isTrue();
      assertThat(r.reasons()).contains("masquerade: yes (masqueradeAll)");
    }

    @Test
    @DisplayName("No local-traffic detector: ClusterIP traffic from off-cluster sources is not masqueraded")
    void noDetectorNoMasquerade() {
      ForwardingTable t = table(IpFamily.V4).nodeAddresses(NODE).with(WEB).build();
      TraceResult r = trace(t, CLIENT, "10.96.0.20", 80, Protocol.TCP, Origin.EXTERNAL);
      assertThat(r.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(r.masqueraded()).isFalse();
      assertThat(r.reasons()).contains("masquerade: no (no local-traffic detector)");
    }

    @Test
    @DisplayName("Interface detectors decide by arrival: origin POD is local, EXTERNAL is not, whatever the address")
    void interfaceDetectorUsesOrigin() {
      ForwardingTable t = table(IpFamily.V4)
          .nodeAddresses(NODE)
          .detector(LocalTrafficDetector.byInterface(LocalTrafficDetector.Mode.BRIDGE_INTERFACE, "cbr0"))
          .with(WEB)
          .build();
      assertThat(trace(t, "172.16.0.9", "10.96.0.20", 80, Protocol.TCP, Origin.POD).masqueraded())
          .isFalse();
      assertThat(trace(t, "172.16.0.9", "10.96.0.20", 80, Protocol.TCP, Origin.EXTERNAL).masqueraded())
          .isTrue();
    }

    @Test
    @DisplayName("CIDR detectors decide by address: a pod-CIDR source counts as a local pod even from outside")
    void cidrDetectorUsesAddress() {
      assertThat(trace("10.244.3.3", "10.96.0.20", 80, Protocol.TCP, Origin.EXTERNAL).masqueraded())
          .isFalse();
    }

    @Test
    @DisplayName("A known ClusterIP on an undefined port or protocol is rejected")
    void unknownPortRejected() {
      TraceResult wrongPort = trace(POD, "10.96.0.10", 54, Protocol.UDP, Origin.POD);
      assertThat(wrongPort.verdict()).isEqualTo(Verdict.REJECT);
      assertThat(wrongPort.service()).isNull();
      assertThat(wrongPort.reasons()).anyMatch(s -> s.startsWith("unknown port on a known ClusterIP"));
      assertThat(trace(POD, "10.96.0.10", 53, Protocol.TCP, Origin.POD).verdict())
          .isEqualTo(Verdict.REJECT);
    }

    @Test
    @DisplayName("No usable endpoint anywhere: REJECT")
    void noEndpointsReject() {
      TraceResult r = trace(POD, "10.96.0.40", 80, Protocol.TCP, Origin.POD);
      assertThat(r.verdict()).isEqualTo(Verdict.REJECT);
      assertThat(r.service().service().name()).isEqualTo("empty");
      assertThat(r.destinations()).isEmpty();
    }

    @Test
    @DisplayName("internalTrafficPolicy Local without local endpoints (others exist): DROP")
    void itpLocalDrop() {
      TraceResult r = trace(POD, "10.96.0.50", 80, Protocol.TCP, Origin.POD);
      assertThat(r.verdict()).isEqualTo(Verdict.DROP);
      assertThat(r.reasons()).contains("internalTrafficPolicy Local: node-local endpoints only");
    }

    @Test
    @DisplayName("Hairpin: the path back to the source itself is masqueraded, the others are not")
    void hairpin() {
      TraceResult r = trace("10.244.1.7", "10.96.0.10", 53, Protocol.UDP, Origin.POD);
      assertThat(r.masqueraded()).isFalse();
      assertThat(r.destinations())
          .extracting(d -> d.endpoint().toString(), Destination::masqueraded)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("10.244.1.7:53", true),
              org.assertj.core.groups.Tuple.tuple("10.244.2.9:53", false));
      assertThat(r.reasons()).anyMatch(s -> s.contains("lands on itself"));
      assertThat(r.toText()).contains("10.244.1.7:53 (local) p=0.5000 masquerade: yes (hairpin)");
    }

    @Test
    @DisplayName("ClientIP affinity: sticky per client, first connection still uniform")
    void affinity() {
      TraceResult r = trace(POD, "10.96.0.60", 80, Protocol.TCP, Origin.POD);
      assertThat(r.destinations()).extracting(Destination::probability)
          .containsExactly(1.0 / 3, 1.0 / 3, 1.0 / 3);
      assertThat(r.affinity().timeoutSeconds()).isEqualTo(10800);
      assertThat(r.reasons()).anyMatch(s -> s.startsWith("sticky for 10800s per client"));
    }

    @Test
    @DisplayName("IPv6 ClusterIPs trace like IPv4 ones")
    void ipv6() {
      ServiceEntry v6 = entry("default", "v6", "", Protocol.TCP)
          .clusterIp("fd00:96::10", 80)
          .endpoints(endpoint("fd00:244::2", 80))
          .build();
      ForwardingTable t = table(IpFamily.V6).with(v6).build();
      TraceResult r = trace(t, "fd00:244::9", "fd00:96::10", 80, Protocol.TCP, Origin.POD);
      assertThat(r.reachableEndpoints()).extracting(Object::toString).containsExactly("[fd00:244::2]:80");
    }
  }

  @Nested
  class NotAService {
    @Test
    @DisplayName("No frontend matches: routed normally without NAT")
    void plainTraffic() {
      TraceResult r = trace(POD, "8.8.8.8", 53, Protocol.UDP, Origin.POD);
      assertThat(r.verdict()).isEqualTo(Verdict.NOT_A_SERVICE);
      assertThat(r.frontend()).isNull();
      assertThat(r.masqueraded()).isFalse();
    }

    @Test
    @DisplayName("NodePorts never match on loopback")
    void loopbackNodePort() {
      ForwardingTable t = base().nodeAddresses("127.0.0.1").build();
      TraceResult r = trace(t, "127.0.0.1", "127.0.0.1", 30080, Protocol.TCP, Origin.NODE);
      assertThat(r.verdict()).isEqualTo(Verdict.NOT_A_SERVICE);
      assertThat(r.reasons()).anyMatch(s -> s.contains("is loopback"));
    }

    @Test
    @DisplayName("A family mismatch between packet and table is an error")
    void familyMismatch() {
      assertThatThrownBy(() -> trace("fd00::1", "fd00::2", 80, Protocol.TCP, Origin.POD))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Nested
  class External {
    @Test
    @DisplayName("NodePort on a node address, eTP=Cluster: every endpoint, masqueraded")
    void nodePortCluster() {
      TraceResult r = trace(CLIENT, NODE, 30080, Protocol.TCP, Origin.EXTERNAL);
      assertThat(r.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(r.frontend().kind()).isEqualTo(FrontendKind.NODE_PORT);
      assertThat(r.reachableEndpoints()).hasSize(2);
      assertThat(r.masqueraded()).isTrue();
      assertThat(r.reasons()).contains("masquerade: yes (externalTrafficPolicy Cluster)");
      assertThat(r.toText()).contains("NodePort 192.168.0.10:30080/TCP of default/web:http");
    }

    @Test
    @DisplayName("nodePortAddresses: NodePorts only on addresses inside those CIDRs")
    void nodePortAddresses() {
      ForwardingTable t = base().nodeAddresses("10.0.0.10").nodePortAddresses("10.0.0.0/24").build();
      assertThat(trace(t, CLIENT, "10.0.0.10", 30080, Protocol.TCP, Origin.EXTERNAL).verdict())
          .isEqualTo(Verdict.FORWARD);
      TraceResult outside = trace(t, CLIENT, NODE, 30080, Protocol.TCP, Origin.EXTERNAL);
      assertThat(outside.verdict()).isEqualTo(Verdict.NOT_A_SERVICE);
      assertThat(outside.reasons()).anyMatch(s -> s.contains("outside nodePortAddresses"));
    }

    @Test
    @DisplayName("A NodePort on an address that is not the node's does not match")
    void nodePortOtherAddress() {
      assertThat(trace(CLIENT, "192.168.0.99", 30080, Protocol.TCP, Origin.EXTERNAL).verdict())
          .isEqualTo(Verdict.NOT_A_SERVICE);
    }

    @Test
    @DisplayName("ExternalIP, eTP=Cluster: masqueraded even from a local pod")
    void externalIpCluster() {
      TraceResult r = trace(POD, "198.51.100.5", 80, Protocol.TCP, Origin.POD);
      assertThat(r.frontend().kind()).isEqualTo(FrontendKind.EXTERNAL_IP);
      assertThat(r.masqueraded()).isTrue();
    }

    @Test
    @DisplayName("No usable endpoint: NodePort and ExternalIP REJECT too")
    void externalReject() {
      assertThat(trace(CLIENT, NODE, 30092, Protocol.TCP, Origin.EXTERNAL).verdict())
          .isEqualTo(Verdict.REJECT);
      assertThat(trace(CLIENT, "198.51.100.40", 80, Protocol.TCP, Origin.EXTERNAL).verdict())
          .isEqualTo(Verdict.REJECT);
    }

    @Test
    @DisplayName("loadBalancerSourceRanges: LB traffic from outside the ranges is dropped")
    void firewallDrops() {
      TraceResult r = trace("192.0.2.1", "198.51.100.7", 80, Protocol.TCP, Origin.EXTERNAL);
      assertThat(r.verdict()).isEqualTo(Verdict.DROP);
      assertThat(r.frontend().kind()).isEqualTo(FrontendKind.LOAD_BALANCER);
      assertThat(r.reasons()).anyMatch(s -> s.contains("not in loadBalancerSourceRanges"));
    }

    @Test
    @DisplayName("loadBalancerSourceRanges: LB traffic from inside a range is forwarded")
    void firewallAllows() {
      TraceResult r = trace(CLIENT, "198.51.100.7", 80, Protocol.TCP, Origin.EXTERNAL);
      assertThat(r.verdict()).isEqualTo(Verdict.FORWARD);
      assertThat(r.masqueraded()).isTrue();
    }

    @Test
    @DisplayName("NodePort and ExternalIP ignore loadBalancerSourceRanges")
    void firewallOnlyForLb() {
      assertThat(trace("192.0.2.1", NODE, 30080, Protocol.TCP, Origin.EXTERNAL).verdict())
          .isEqualTo(Verdict.FORWARD);
      assertThat(trace("192.0.2.1", "198.51.100.5", 80, Protocol.TCP, Origin.EXTERNAL).verdict())
          .isEqualTo(Verdict.FORWARD);
    }
  }

  @Nested
  class ExternalPolicyLocal {
    @Test
    @DisplayName("eTP=Local from outside: local endpoints only, client IP preserved")
    void outsideGoesLocal() {
      TraceResult r = trace(CLIENT, "198.51.100.8", 80, Protocol.TCP, Origin.EXTERNAL);
      assertThat(r.reachableEndpoints()).extracting(Object::toString).containsExactly("10.244.1.9:8080");
      assertThat(r.destinations()).extracting(Destination::probability).containsExactly(1.0);
      assertThat(r.masqueraded()).isFalse();
      assertThat(r.reasons())
          .contains("masquerade: no (externalTrafficPolicy Local preserves the client IP)");
    }

    @Test
    @DisplayName("eTP=Local from a local pod: short-circuit to the cluster-wide endpoints, not masqueraded")
    void podShortCircuits() {
      TraceResult r = trace(POD, NODE, 30090, Protocol.TCP, Origin.POD);
      assertThat(r.reachableEndpoints())
          .extracting(Object::toString)
          .containsExactly("10.244.1.9:8080", "10.244.2.19:8080");
      assertThat(r.masqueraded()).isFalse();
    }

    @Test
    @DisplayName("eTP=Local from the node itself: cluster-wide endpoints, masqueraded")
    void hostShortCircuitsMasqueraded() {
      TraceResult r = trace(NODE, "198.51.100.8", 80, Protocol.TCP, Origin.NODE);
      assertThat(r.reachableEndpoints()).hasSize(2);
      assertThat(r.masqueraded()).isTrue();
      assertThat(r.reasons())
          .contains("masquerade: yes (host traffic to an externalTrafficPolicy Local service)");
    }

    @Test
    @DisplayName("eTP=Local with endpoints only elsewhere: outside traffic DROPs")
    void noLocalEndpointDrops() {
      TraceResult r = trace(CLIENT, NODE, 30091, Protocol.TCP, Origin.EXTERNAL);
      assertThat(r.verdict()).isEqualTo(Verdict.DROP);
      assertThat(r.reasons()).anyMatch(s -> s.contains("no local endpoint"));
    }

    @Test
    @DisplayName("eTP=Local with endpoints only elsewhere: pod and host traffic still short-circuit")
    void noLocalEndpointShortCircuitStillWorks() {
      assertThat(trace(POD, NODE, 30091, Protocol.TCP, Origin.POD).reachableEndpoints())
          .extracting(Object::toString).containsExactly("10.244.2.31:8080");
      assertThat(trace(NODE, NODE, 30091, Protocol.TCP, Origin.NODE).verdict())
          .isEqualTo(Verdict.FORWARD);
    }

    @Test
    @DisplayName("eTP=Local without a detector: no pod short-circuit (pods get the local endpoints)")
    void noDetectorNoPodShortCircuit() {
      ForwardingTable t = table(IpFamily.V4).nodeAddresses(NODE).with(LOCAL, NO_LOCAL).build();
      TraceResult r = trace(t, POD, NODE, 30090, Protocol.TCP, Origin.POD);
      assertThat(r.reachableEndpoints()).extracting(Object::toString).containsExactly("10.244.1.9:8080");
      assertThat(r.masqueraded()).isFalse();
      assertThat(trace(t, POD, NODE, 30091, Protocol.TCP, Origin.POD).verdict())
          .isEqualTo(Verdict.DROP);
      // host traffic short-circuits with or without a detector
      assertThat(trace(t, NODE, NODE, 30091, Protocol.TCP, Origin.NODE).verdict())
          .isEqualTo(Verdict.FORWARD);
    }

    @Test
    @DisplayName("eTP=Local pod short-circuit is not masqueraded even with masqueradeAll (that rule matches the ClusterIP only)")
    void masqueradeAllDoesNotApplyToShortCircuit() {
      ForwardingTable t = base().masqueradeAll().build();
      assertThat(trace(t, POD, NODE, 30090, Protocol.TCP, Origin.POD).masqueraded()).isFalse();
    }
  }
}
