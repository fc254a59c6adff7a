package dev.kubeproxy.model;

import static dev.kubeproxy.model.Fixtures.CONFIG;
import static dev.kubeproxy.model.Fixtures.NODE;
import static dev.kubeproxy.model.Fixtures.entry;
import static dev.kubeproxy.model.Fixtures.node;
import static dev.kubeproxy.model.Fixtures.service;
import static dev.kubeproxy.model.Fixtures.slice;
import static dev.kubeproxy.model.Fixtures.snapshot;
import static dev.kubeproxy.model.Fixtures.strings;
import static dev.kubeproxy.model.Fixtures.v4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.SessionAffinity;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Terminating fallback, topology hints, traffic policies, verdicts and per-service extras. */
class TableBuilderPolicyTest {
  private static final String REMOTE = "node-b";

  private static EndpointSlice.Builder ep(EndpointSlice.Builder b, String ip, boolean ready, boolean serving,
      boolean terminating, String node) {
    return b.endpoint(ip, ready, serving, terminating, node, null, null, null);
  }

  private static EndpointSlice.Builder hinted(EndpointSlice.Builder b, String ip, boolean ready, Set<String> zones,
      Set<String> nodes) {
    return b.endpoint(ip, ready, ready, false, REMOTE, null, zones, nodes);
  }

  private static Service.Builder nodePort(String name) {
    return Service.builder("ns", name).type("NodePort").clusterIp("10.0.0.1").port("http", "TCP", 80, 30080);
  }

  @Nested
  class TerminatingFallback {
    @Test
    @DisplayName("cluster set: no Ready endpoint -> every serving-and-terminating one, marked terminating; not-serving ones never")
    void clusterFallback() {
      EndpointSlice.Builder b = slice("web-1", "web");
      ep(b, "10.1.0.1", false, true, true, REMOTE);
      ep(b, "10.1.0.2", false, false, true, REMOTE);
      ep(b, "10.1.0.3", false, true, true, NODE);
      ServiceEntry e = entry(v4(snapshot(service("web", "10.0.0.1").build(), b.build())), "web");
      assertThat(strings(e.internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.3:8080");
      assertThat(e.internal().endpoints()).allMatch(ServiceEndpoint::terminating);
    }

    @Test
    @DisplayName("cluster set: any Ready endpoint -> terminating ones are not used")
    void readyPreferred() {
      EndpointSlice.Builder b = slice("web-1", "web");
      ep(b, "10.1.0.1", false, true, true, REMOTE);
      ep(b, "10.1.0.2", true, true, false, REMOTE);
      ServiceEntry e = entry(v4(snapshot(service("web", "10.0.0.1").build(), b.build())), "web");
      assertThat(strings(e.internal().endpoints())).containsExactly("10.1.0.2:8080");
      assertThat(e.internal().endpoints().get(0).terminating()).isFalse();
    }

    @Test
    @DisplayName("local set decides separately: remote Ready but only a local terminating endpoint -> local set uses it")
    void localFallbackIndependent() {
      EndpointSlice.Builder b = slice("web-1", "web");
      ep(b, "10.1.0.1", true, true, false, REMOTE);
      ep(b, "10.1.0.2", false, true, true, NODE);
      Service s = nodePort("web").externalTrafficPolicy("Local").build();
      ServiceEntry e = entry(v4(snapshot(s, b.build())), "web");
      assertThat(strings(e.external().endpoints())).containsExactly("10.1.0.2:8080");
      assertThat(e.external().endpoints().get(0).terminating()).isTrue();
      assertThat(strings(e.cluster())).containsExactly("10.1.0.1:8080");
      assertThat(e.cluster().get(0).terminating()).isFalse();
    }

    @Test
    @DisplayName("local set: a local Ready endpoint wins over a local terminating one")
    void localReadyPreferred() {
      EndpointSlice.Builder b = slice("web-1", "web");
      ep(b, "10.1.0.1", true, true, false, NODE);
      ep(b, "10.1.0.2", false, true, true, NODE);
      Service s = service("web", "10.0.0.1").internalTrafficPolicy("Local").build();
      ServiceEntry e = entry(v4(snapshot(s, b.build())), "web");
      assertThat(strings(e.internal().endpoints())).containsExactly("10.1.0.1:8080");
    }
  }

  @Nested
  class Topology {
    private ServiceEntry build(boolean preferSameNode, String zone, EndpointSlice slice) {
      ClusterSnapshot snap = snapshot(node(zone, "192.168.0.10"), List.of(service("web", "10.0.0.1").build()), List.of(slice));
      return entry(TableBuilder.build(IpFamily.V4, snap, CONFIG.toBuilder().preferSameNodeHints(preferSameNode).build()), "web");
    }

    @Test
    @DisplayName("every Ready endpoint has node hints and one names this node -> keep those hinted for this node")
    void nodeHints() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z1"), Set.of(NODE));
      hinted(b, "10.1.0.2", true, Set.of("z1"), Set.of(REMOTE));
      assertThat(strings(build(true, "z1", b.build()).internal().endpoints())).containsExactly("10.1.0.1:8080");
    }

    @Test
    @DisplayName("with the same-node gate off, node hints are ignored and zone hints decide")
    void nodeHintsGateOff() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z2"), Set.of(NODE));
      hinted(b, "10.1.0.2", true, Set.of("z1"), Set.of(REMOTE));
      assertThat(strings(build(false, "z1", b.build()).internal().endpoints())).containsExactly("10.1.0.2:8080");
    }

    @Test
    @DisplayName("node hints naming no endpoint for this node are ignored; zone hints apply next")
    void nodeHintsForOthers() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z1"), Set.of("x"));
      hinted(b, "10.1.0.2", true, Set.of("z2"), Set.of("y"));
      assertThat(strings(build(true, "z1", b.build()).internal().endpoints())).containsExactly("10.1.0.1:8080");
    }

    @Test
    @DisplayName("every Ready endpoint has zone hints and one names the Node's zone -> keep that zone's endpoints")
    void zoneHints() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z1", "z3"), null);
      hinted(b, "10.1.0.2", true, Set.of("z2"), null);
      hinted(b, "10.1.0.3", true, Set.of("z3"), null);
      assertThat(strings(build(true, "z3", b.build()).internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.3:8080");
    }

    @Test
    @DisplayName("partial hints (one Ready endpoint lacks them) -> hints ignored, all Ready endpoints used")
    void partialHints() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z1"), Set.of(NODE));
      hinted(b, "10.1.0.2", true, null, null);
      assertThat(strings(build(true, "z1", b.build()).internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
    }

    @Test
    @DisplayName("zone hints that name no endpoint for this zone -> ignored")
    void zoneHintsForOthers() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z1"), null);
      hinted(b, "10.1.0.2", true, Set.of("z2"), null);
      assertThat(strings(build(true, "z9", b.build()).internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
    }

    @Test
    @DisplayName("Node without a zone label -> zone hints ignored")
    void noZoneLabel() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z1"), null);
      hinted(b, "10.1.0.2", true, Set.of("z2"), null);
      assertThat(strings(build(true, null, b.build()).internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
    }

    @Test
    @DisplayName("not-Ready endpoints are not examined: one without hints does not disable zone hints")
    void notReadyNotExamined() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z1"), null);
      hinted(b, "10.1.0.2", true, Set.of("z2"), null);
      hinted(b, "10.1.0.3", false, null, null);
      assertThat(strings(build(true, "z1", b.build()).internal().endpoints())).containsExactly("10.1.0.1:8080");
    }

    @Test
    @DisplayName("topology narrows the cluster set only: the local set (iTP Local) ignores hints")
    void localIgnoresHints() {
      EndpointSlice.Builder b = slice("web-1", "web");
      b.endpoint("10.1.0.1", true, true, false, NODE, null, Set.of("z2"), null);
      hinted(b, "10.1.0.2", true, Set.of("z1"), null);
      Service s = service("web", "10.0.0.1").internalTrafficPolicy("Local").build();
      ClusterSnapshot snap = snapshot(node("z1", "192.168.0.10"), List.of(s), List.of(b.build()));
      assertThat(strings(entry(v4(snap), "web").internal().endpoints())).containsExactly("10.1.0.1:8080");
    }

    @Test
    @DisplayName("the terminating fallback ignores hints")
    void fallbackIgnoresHints() {
      EndpointSlice.Builder b = slice("web-1", "web");
      b.endpoint("10.1.0.1", false, true, true, REMOTE, null, Set.of("z2"), null);
      b.endpoint("10.1.0.2", false, true, true, REMOTE, null, Set.of("z1"), null);
      assertThat(strings(build(true, "z1", b.build()).internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
    }

    @Test
    @DisplayName("external traffic with eTP Cluster uses the same (topology-narrowed) cluster set")
    void externalClusterUsesTopology() {
      EndpointSlice.Builder b = slice("web-1", "web");
      hinted(b, "10.1.0.1", true, Set.of("z1"), null);
      hinted(b, "10.1.0.2", true, Set.of("z2"), null);
      ClusterSnapshot snap = snapshot(node("z1", "192.168.0.10"), List.of(nodePort("web").build()), List.of(b.build()));
      ServiceEntry e = entry(v4(snap), "web");
      assertThat(strings(e.external().endpoints())).containsExactly("10.1.0.1:8080");
    }
  }

  @Nested
  class TrafficPolicies {
    private EndpointSlice localAndRemote() {
      EndpointSlice.Builder b = slice("web-1", "web");
      ep(b, "10.1.0.1", true, true, false, NODE);
      ep(b, "10.1.0.2", true, true, false, REMOTE);
      return b.build();
    }

    private EndpointSlice remoteOnly() {
      return slice("web-1", "web").endpoint("10.1.0.2", REMOTE).build();
    }

    @Test
    @DisplayName("iTP Local: ClusterIP traffic reaches local endpoints only; external (eTP Cluster) keeps the cluster set")
    void internalLocal() {
      ServiceEntry e = entry(v4(snapshot(nodePort("web").internalTrafficPolicy("Local").build(), localAndRemote())), "web");
      assertThat(e.internalPolicyLocal()).isTrue();
      assertThat(strings(e.internal().endpoints())).containsExactly("10.1.0.1:8080");
      assertThat(strings(e.external().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
    }

    @Test
    @DisplayName("iTP Local with no local endpoint while others exist -> internal list empty with DROP")
    void internalLocalDrop() {
      ServiceEntry e = entry(v4(snapshot(service("web", "10.0.0.1").internalTrafficPolicy("Local").build(), remoteOnly())), "web");
      assertThat(e.internal().isEmpty()).isTrue();
      assertThat(e.internal().ifEmpty()).isEqualTo(EmptyVerdict.DROP);
      assertThat(e.rejectsEverything()).isFalse();
    }

    @Test
    @DisplayName("iTP Local on a ClusterIP-only service: upstream does not compute the cluster set")
    void internalLocalNoClusterSet() {
      ServiceEntry e = entry(v4(snapshot(service("web", "10.0.0.1").internalTrafficPolicy("Local").build(), localAndRemote())), "web");
      assertThat(e.cluster()).isEmpty();
      assertThat(strings(e.internal().endpoints())).containsExactly("10.1.0.1:8080");
    }

    @Test
    @DisplayName("eTP Local: external list = local endpoints, cluster set kept for the short-circuit, not masqueraded")
    void externalLocal() {
      ServiceEntry e = entry(v4(snapshot(nodePort("web").externalTrafficPolicy("Local").build(), localAndRemote())), "web");
      assertThat(e.externalPolicyLocal()).isTrue();
      assertThat(e.masqueradeExternal()).isFalse();
      assertThat(strings(e.external().endpoints())).containsExactly("10.1.0.1:8080");
      assertThat(strings(e.cluster())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
      assertThat(strings(e.internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
    }

    @Test
    @DisplayName("eTP Local with endpoints elsewhere but none local -> external list empty with DROP")
    void externalLocalDrop() {
      ServiceEntry e = entry(v4(snapshot(nodePort("web").externalTrafficPolicy("Local").build(), remoteOnly())), "web");
      assertThat(e.external().isEmpty()).isTrue();
      assertThat(e.external().ifEmpty()).isEqualTo(EmptyVerdict.DROP);
      assertThat(strings(e.cluster())).containsExactly("10.1.0.2:8080");
    }

    @Test
    @DisplayName("eTP Local on a service not externally accessible in this family is not 'external policy local'")
    void externalLocalNeedsExternalFrontend() {
      Service clusterIpOnly = service("web", "10.0.0.1").externalTrafficPolicy("Local").build();
      assertThat(entry(v4(snapshot(clusterIpOnly, localAndRemote())), "web").externalPolicyLocal()).isFalse();
      Service v6Lb =
          Service.builder("ns", "lb").type("LoadBalancer").clusterIp("10.0.0.2").clusterIp("fd00::2").port("http", "TCP", 80)
              .loadBalancerIngress("fd00::99").externalTrafficPolicy("Local").build();
      ClusterSnapshot snap = snapshot(v6Lb);
      assertThat(entry(v4(snap), "lb").externalPolicyLocal()).isFalse();
      assertThat(entry(TableBuilder.build(IpFamily.V6, snap, CONFIG), "lb").externalPolicyLocal()).isTrue();
    }

    @Test
    @DisplayName("no Ready or serving-terminating endpoint anywhere -> both lists REJECT")
    void rejectWhenNothingUsable() {
      EndpointSlice.Builder b = slice("web-1", "web");
      ep(b, "10.1.0.1", false, false, false, NODE);
      ep(b, "10.1.0.2", false, false, true, REMOTE);
      ServiceEntry e = entry(v4(snapshot(nodePort("web").externalTrafficPolicy("Local").build(), b.build())), "web");
      assertThat(e.rejectsEverything()).isTrue();
      ServiceEntry noSlices = entry(v4(snapshot(nodePort("web").build())), "web");
      assertThat(noSlices.rejectsEverything()).isTrue();
    }
  }

  @Nested
  class Extras {
    @Test
    @DisplayName("healthCheckNodePort only for LoadBalancer with eTP Local")
    void healthCheckNodePort() {
      Service.Builder lb = Service.builder("ns", "web").type("LoadBalancer").clusterIp("10.0.0.1")
          .port("http", "TCP", 80, 30080).healthCheckNodePort(32000);
      assertThat(entry(v4(snapshot(lb.externalTrafficPolicy("Local").build())), "web").healthCheckNodePort()).isEqualTo(32000);
      assertThat(entry(v4(snapshot(lb.externalTrafficPolicy("Cluster").build())), "web").healthCheckNodePort()).isZero();
      Service np = nodePort("web").externalTrafficPolicy("Local").healthCheckNodePort(32000).build();
      assertThat(entry(v4(snapshot(np)), "web").healthCheckNodePort()).isZero();
    }

    @Test
    @DisplayName("ClientIP affinity and its timeout are copied per service port")
    void affinity() {
      Service s = service("web", "10.0.0.1").sessionAffinity("ClientIP", 300).build();
      assertThat(entry(v4(snapshot(s)), "web").affinity()).isEqualTo(SessionAffinity.clientIp(300));
      assertThat(entry(v4(snapshot(service("web", "10.0.0.1").build())), "web").affinity()).isEqualTo(SessionAffinity.NONE);
    }
  }
}
