package dev.kubeproxy.model.conntrack;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.api.testing.TableFixtures.ip;
import static dev.kubeproxy.api.testing.TableFixtures.localEndpoint;
import static dev.kubeproxy.api.testing.TableFixtures.tableOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.testing.TableFixtures;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StaleFlowsTest {
  static final ServiceEndpoint A = localEndpoint("10.244.1.7", 53);
  static final ServiceEndpoint B = endpoint("10.244.2.9", 53);

  static ServiceEntry dns(ServiceEndpoint... eps) {
    return entry("kube-system", "kube-dns", "dns", Protocol.UDP)
        .clusterIp("10.96.0.10", 53)
        .endpoints(eps)
        .build();
  }

  static ServiceEntry udpNodePort(ServiceEndpoint... eps) {
    return entry("default", "game", "", Protocol.UDP)
        .clusterIp("10.96.0.20", 7777)
        .nodePort(30777)
        .externalIp("198.51.100.5", 7777)
        .endpoints(eps)
        .build();
  }

  @Test
  @DisplayName("N -> N-1: flows to the ClusterIP answered by the removed endpoint are stale")
  void oneEndpointRemoved() {
    List<StaleFlow> flows = StaleFlows.between(tableOf(dns(A, B)), tableOf(dns(A)));
    assertThat(flows).containsExactly(StaleFlow.toServiceIp(ip("10.96.0.10"), 53, ip("10.244.2.9")));
    assertThat(flows.get(0).argv())
        .containsExactly("conntrack", "-D", "-f", "ipv4", "-p", "udp", "--orig-dst", "10.96.0.10",
            "--orig-port-dst", "53", "--reply-src", "10.244.2.9");
  }

  @Test
  @DisplayName("N -> 0: flows answered by every former endpoint are stale")
  void allEndpointsRemoved() {
    assertThat(StaleFlows.between(tableOf(dns(A, B)), tableOf(dns())))
        .containsExactly(
            StaleFlow.toServiceIp(ip("10.96.0.10"), 53, ip("10.244.1.7")),
            StaleFlow.toServiceIp(ip("10.96.0.10"), 53, ip("10.244.2.9")));
  }

  @Test
  @DisplayName("Service deleted: every UDP frontend (ClusterIP, ExternalIP, NodePort) x every endpoint")
  void serviceDeleted() {
    List<StaleFlow> flows = StaleFlows.between(tableOf(udpNodePort(A)), tableOf());
    assertThat(flows)
        .containsExactlyInAnyOrder(
            StaleFlow.toServiceIp(ip("10.96.0.20"), 7777, ip("10.244.1.7")),
            StaleFlow.toServiceIp(ip("198.51.100.5"), 7777, ip("10.244.1.7")),
            StaleFlow.toNodePort(IpFamily.V4, 30777, ip("10.244.1.7")));
  }

  @Test
  @DisplayName("NodePort flows are matched by port only, on any node address")
  void nodePortFlow() {
    List<StaleFlow> flows = StaleFlows.between(tableOf(udpNodePort(A, B)), tableOf(udpNodePort(A)));
    StaleFlow nodePort = StaleFlow.toNodePort(IpFamily.V4, 30777, ip("10.244.2.9"));
    assertThat(flows).hasSize(3).contains(nodePort);
    assertThat(nodePort.argv())
        .containsExactly("conntrack", "-D", "-f", "ipv4", "-p", "udp", "--orig-port-dst", "30777",
            "--reply-src", "10.244.2.9");
  }

  @Test
  @DisplayName("TCP services are ignored: only UDP flows are cleaned")
  void tcpIgnored() {
    ServiceEntry before = entry("default", "web", "", Protocol.TCP)
        .clusterIp("10.96.0.30", 80).nodePort(30080).endpoints(A, B).build();
    ServiceEntry after = entry("default", "web", "", Protocol.TCP)
        .clusterIp("10.96.0.30", 80).nodePort(30080).build();
    assertThat(StaleFlows.between(tableOf(before), tableOf(after))).isEmpty();
    assertThat(StaleFlows.between(tableOf(before), tableOf())).isEmpty();
  }

  @Test
  @DisplayName("Endpoints still serving are not flagged (adding one, or unchanged entries)")
  void unchangedNotFlagged() {
    assertThat(StaleFlows.between(tableOf(dns(A)), tableOf(dns(A, B)))).isEmpty();
    assertThat(StaleFlows.between(tableOf(dns(A, B)), tableOf(dns(A, B)))).isEmpty();
  }

  @Test
  @DisplayName("Policy is ignored: an endpoint left only in the cluster list still serves")
  void policyIgnored() {
    ServiceEntry local = entry("default", "game", "", Protocol.UDP)
        .clusterIp("10.96.0.20", 7777)
        .nodePort(30777)
        .externalIp("198.51.100.5", 7777)
        .externalPolicyLocal()
        .internalPolicyLocal()
        .endpoints(A, B)
        .build();
    // B (remote) is now only in the cluster list, yet still a serving endpoint
    assertThat(local.external().endpoints()).doesNotContain(B);
    assertThat(StaleFlows.between(tableOf(udpNodePort(A, B)), tableOf(local))).isEmpty();
  }

  @Test
  @DisplayName("A removed frontend: its flows are stale for every endpoint, other frontends untouched")
  void frontendRemoved() {
    ServiceEntry noExternalIp = entry("default", "game", "", Protocol.UDP)
        .clusterIp("10.96.0.20", 7777).nodePort(30777).endpoints(A).build();
    assertThat(StaleFlows.between(tableOf(udpNodePort(A)), tableOf(noExternalIp)))
        .containsExactly(StaleFlow.toServiceIp(ip("198.51.100.5"), 7777, ip("10.244.1.7")));
  }

  @Test
  @DisplayName("0 -> N (or a new service): never-DNATed flows to the frontend are stale")
  void zeroToSome() {
    List<StaleFlow> flows = StaleFlows.between(tableOf(dns()), tableOf(dns(A)));
    assertThat(flows).containsExactly(new StaleFlow(IpFamily.V4, Protocol.UDP, ip("10.96.0.10"), 53, null));
    assertThat(flows.get(0).notNated()).isTrue();
    assertThat(flows.get(0).argv()).endsWith("--reply-src", "10.96.0.10");

    List<StaleFlow> created = StaleFlows.between(tableOf(), tableOf(udpNodePort(A)));
    assertThat(created).hasSize(3).allMatch(StaleFlow::notNated);
    StaleFlow nodePort = created.stream().filter(StaleFlow::nodePort).findFirst().orElseThrow();
    assertThat(nodePort.argv())
        .containsExactly("conntrack", "-D", "-f", "ipv4", "-p", "udp", "--orig-port-dst", "30777",
            "--reply-port-src", "30777");
  }

  @Test
  @DisplayName("The keyed variant looks only at the given keys (O(changed))")
  void onlyChangedKeys() {
    ForwardingTable before = tableOf(dns(A, B), udpNodePort(A, B));
    ForwardingTable after = tableOf(dns(A), udpNodePort(A));
    assertThat(StaleFlows.between(before, after, Set.of())).isEmpty();
    assertThat(StaleFlows.between(before, after, Set.of(dns().key())))
        .containsExactly(StaleFlow.toServiceIp(ip("10.96.0.10"), 53, ip("10.244.2.9")));
    assertThat(StaleFlows.between(before, after)).hasSize(4);
  }

  @Test
  @DisplayName("IPv6 flows use conntrack's ipv6 family")
  void ipv6() {
    ServiceEntry before = entry("default", "v6", "", Protocol.UDP)
        .clusterIp("fd00:96::10", 53).endpoints(endpoint("fd00:244::2", 53)).build();
    ServiceEntry after = entry("default", "v6", "", Protocol.UDP).clusterIp("fd00:96::10", 53).build();
    ForwardingTable t0 = TableFixtures.table(IpFamily.V6).with(before).build();
    ForwardingTable t1 = TableFixtures.table(IpFamily.V6).with(after).build();
    assertThat(StaleFlows.between(t0, t1)).singleElement()
        .extracting(StaleFlow::argv)
        .isEqualTo(List.of("conntrack", "-D", "-f", "ipv6", "-p", "udp", "--orig-dst", "fd00:96::10",
            "--orig-port-dst", "53", "--reply-src", "fd00:244::2"));
  }
}
