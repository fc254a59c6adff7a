package dev.kubeproxy.model;

import static dev.kubeproxy.model.Fixtures.CONFIG;
import static dev.kubeproxy.model.Fixtures.entry;
import static dev.kubeproxy.model.Fixtures.key;
import static dev.kubeproxy.model.Fixtures.service;
import static dev.kubeproxy.model.Fixtures.slice;
import static dev.kubeproxy.model.Fixtures.snapshot;
import static dev.kubeproxy.model.Fixtures.strings;
import static dev.kubeproxy.model.Fixtures.v4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which services get entries, and which frontends each entry has. */
class TableBuilderFrontendsTest {
  private static Frontend fe(FrontendKind kind, String ip, int port) {
    return new Frontend(kind, ip == null ? null : IpAddress.parse(ip), port, Protocol.TCP);
  }

  @Test
  @DisplayName("headless services (clusterIP None or empty) are not proxied")
  void headlessSkipped() {
    Service none = Service.builder("ns", "a").clusterIp("None").port("http", "TCP", 80).build();
    Service empty = Service.builder("ns", "b").clusterIp("").port("http", "TCP", 80).build();
    ForwardingTable table = v4(snapshot(null, List.of(none, empty), List.of()));
    assertThat(table.size()).isZero();
  }

  @Test
  @DisplayName("ExternalName services are not proxied")
  void externalNameSkipped() {
    Service s = service("a", "10.0.0.1").type("ExternalName").build();
    assertThat(v4(snapshot(s)).size()).isZero();
  }

  @Test
  @DisplayName("services labelled service.kubernetes.io/service-proxy-name or .../headless are ignored")
  void labelledServicesSkipped() {
    Service other = service("a", "10.0.0.1").label(Service.LABEL_SERVICE_PROXY_NAME, "other").build();
    Service headless = service("b", "10.0.0.2").label(Service.LABEL_HEADLESS, "").build();
    Service plain = service("c", "10.0.0.3").build();
    ForwardingTable table = v4(snapshot(null, List.of(other, headless, plain), List.of()));
    assertThat(table.entries().keySet()).containsExactly(key("c", "http"));
  }

  @Test
  @DisplayName("a service without a ClusterIP of the table's family is not in that family's table")
  void noClusterIpOfFamily() {
    Service v6only = service("a", "fd00::1").build();
    ClusterSnapshot snap = snapshot(v6only);
    assertThat(TableBuilder.build(IpFamily.V4, snap, CONFIG).size()).isZero();
    assertThat(TableBuilder.build(IpFamily.V6, snap, CONFIG).size()).isEqualTo(1);
  }

  @Test
  @DisplayName("frontends: ClusterIP, NodePort (all node addresses), each externalIP and each VIP-mode LB IP of the family")
  void frontendKinds() {
    Service s =
        Service.builder("ns", "a")
            .type("LoadBalancer")
            .clusterIp("10.0.0.1")
            .port("http", "TCP", 80, 30080)
            .externalIp("1.1.1.1")
            .externalIp("fd00::9")
            .loadBalancerIngress("2.2.2.2")
            .loadBalancerIngress("3.3.3.3", null, "VIP")
            .loadBalancerIngress("fd00::8")
            .build();
    ServiceEntry e = entry(v4(snapshot(s)), "a");
    assertThat(e.frontends())
        .containsExactly(
            fe(FrontendKind.CLUSTER_IP, "10.0.0.1", 80),
            fe(FrontendKind.NODE_PORT, null, 30080),
            fe(FrontendKind.EXTERNAL_IP, "1.1.1.1", 80),
            fe(FrontendKind.LOAD_BALANCER, "2.2.2.2", 80),
            fe(FrontendKind.LOAD_BALANCER, "3.3.3.3", 80));
  }

  @Test
  @DisplayName("LB ingress with ipMode Proxy or with only a hostname is not programmed")
  void lbProxyModeAndHostnameIgnored() {
    Service s =
        Service.builder("ns", "a")
            .type("LoadBalancer")
            .clusterIp("10.0.0.1")
            .port("http", "TCP", 80)
            .loadBalancerIngress("2.2.2.2", null, "Proxy")
            .loadBalancerIngress(null, "lb.example.com", null)
            .build();
    ServiceEntry e = entry(v4(snapshot(s)), "a");
    assertThat(e.frontends()).containsExactly(fe(FrontendKind.CLUSTER_IP, "10.0.0.1", 80));
    assertThat(e.externallyAccessible()).isFalse();
  }

  @Test
  @DisplayName("dual-stack: each family's table holds that family's ClusterIP, external IPs and endpoints only")
  void dualStackSplit() {
    Service s =
        Service.builder("ns", "a")
            .clusterIp("10.0.0.1")
            .clusterIp("fd00::1")
            .port("http", "TCP", 80)
            .externalIp("1.1.1.1")
            .externalIp("fd00::9")
            .build();
    EndpointSlice v4 = slice("a-4", "a").endpoint("10.1.0.1", "n").build();
    EndpointSlice v6 = slice("a-6", "a").addressType("IPv6").endpoint("fd01::1", "n").build();
    ClusterSnapshot snap = snapshot(s, v4, v6);
    ServiceEntry e4 = entry(TableBuilder.build(IpFamily.V4, snap, CONFIG), "a");
    ServiceEntry e6 = entry(TableBuilder.build(IpFamily.V6, snap, CONFIG), "a");
    assertThat(e4.frontends())
        .containsExactly(fe(FrontendKind.CLUSTER_IP, "10.0.0.1", 80), fe(FrontendKind.EXTERNAL_IP, "1.1.1.1", 80));
    assertThat(e6.frontends())
        .containsExactly(fe(FrontendKind.CLUSTER_IP, "fd00::1", 80), fe(FrontendKind.EXTERNAL_IP, "fd00::9", 80));
    assertThat(strings(e4.internal().endpoints())).containsExactly("10.1.0.1:8080");
    assertThat(strings(e6.internal().endpoints())).containsExactly("[fd01::1]:8080");
    assertThat(e4.family()).isEqualTo(IpFamily.V4);
    assertThat(e6.family()).isEqualTo(IpFamily.V6);
  }

  @Test
  @DisplayName("one entry per (port name, protocol): the same port number on TCP and UDP gives two entries")
  void keyPerPortNameAndProtocol() {
    Service s =
        Service.builder("ns", "dns").clusterIp("10.0.0.10").port("dns-tcp", "TCP", 53).port("dns", "UDP", 53).build();
    ForwardingTable table = v4(snapshot(s));
    assertThat(table.entries().keySet())
        .containsExactlyInAnyOrder(
            ServicePortKey.of("ns", "dns", "dns-tcp", Protocol.TCP),
            ServicePortKey.of("ns", "dns", "dns", Protocol.UDP));
  }

  @Test
  @DisplayName("conflict: two services claiming the same externalIP:port/protocol; the smaller key keeps it, nothing throws")
  void externalIpConflict() {
    Service a = service("a", "10.0.0.1").externalIp("1.1.1.1").build();
    Service b = service("b", "10.0.0.2").externalIp("1.1.1.1").build();
    ForwardingTable table = v4(snapshot(null, List.of(b, a), List.of()));
    assertThat(entry(table, "a").frontends()).contains(fe(FrontendKind.EXTERNAL_IP, "1.1.1.1", 80));
    assertThat(entry(table, "b").frontends()).containsExactly(fe(FrontendKind.CLUSTER_IP, "10.0.0.2", 80));
  }

  @Test
  @DisplayName("conflict: a second service with the same ClusterIP and port loses only that frontend")
  void clusterIpConflict() {
    Service a = service("a", "10.0.0.1").build();
    Service b = service("b", "10.0.0.1").port("other", "TCP", 81).build();
    ForwardingTable table = v4(snapshot(null, List.of(a, b), List.of()));
    assertThat(entry(table, "a").frontends()).containsExactly(fe(FrontendKind.CLUSTER_IP, "10.0.0.1", 80));
    assertThat(entry(table, "b").frontends()).isEmpty();
    assertThat(table.entry(key("b", "other")).frontends()).containsExactly(fe(FrontendKind.CLUSTER_IP, "10.0.0.1", 81));
  }

  @Test
  @DisplayName("conflict: a NodePort used twice (same protocol) stays with the smaller key")
  void nodePortConflict() {
    Service a = Service.builder("ns", "a").type("NodePort").clusterIp("10.0.0.1").port("http", "TCP", 80, 30000).build();
    Service b = Service.builder("ns", "b").type("NodePort").clusterIp("10.0.0.2").port("http", "TCP", 80, 30000).build();
    ForwardingTable table = v4(snapshot(null, List.of(a, b), List.of()));
    assertThat(entry(table, "a").frontends()).contains(fe(FrontendKind.NODE_PORT, null, 30000));
    assertThat(entry(table, "b").frontends()).doesNotContain(fe(FrontendKind.NODE_PORT, null, 30000));
  }

  @Test
  @DisplayName("an external IP listed twice (or equal to the LB IP) is one frontend")
  void duplicateWithinService() {
    Service s =
        service("a", "10.0.0.1").type("LoadBalancer").externalIp("1.1.1.1").externalIp("1.1.1.1")
            .loadBalancerIngress("1.1.1.1").build();
    assertThat(entry(v4(snapshot(s)), "a").frontends())
        .containsExactly(fe(FrontendKind.CLUSTER_IP, "10.0.0.1", 80), fe(FrontendKind.EXTERNAL_IP, "1.1.1.1", 80));
  }
}
