package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Invalid input is rejected at construction, naming the object and the field (DESIGN §9). */
class InputValidationTest {
  private static Service.Builder web() {
    return Service.builder("default", "web").clusterIp("10.96.0.10").port("http", "TCP", 80);
  }

  @Test
  void validServiceKeepsItsFields() {
    Service s =
        web()
            .type("LoadBalancer")
            .clusterIp("fd00::10")
            .port("dns", "UDP", 53, 30053)
            .externalIp("192.0.2.10")
            .loadBalancerIngress("192.0.2.20")
            .loadBalancerIngress(null, "lb.example", null)
            .externalTrafficPolicy("Local")
            .sessionAffinity("ClientIP", null)
            .loadBalancerSourceRange(" 203.0.113.0/24 ")
            .healthCheckNodePort(31000)
            .build();
    assertThat(s.clusterIp(IpFamily.V6)).hasToString("fd00::10");
    assertThat(s.ports()).hasSize(2);
    assertThat(s.externalTrafficPolicy()).isEqualTo(TrafficPolicy.LOCAL);
    assertThat(s.sessionAffinity()).isEqualTo(SessionAffinity.clientIp(10800));
    assertThat(s.loadBalancerIngress().get(0).programmable()).isTrue();
    assertThat(s.loadBalancerIngress().get(1).programmable()).isFalse();
    assertThat(s.loadBalancerSourceRanges()).containsExactly(Cidr.parse("203.0.113.0/24"));
    assertThat(s.headless()).isFalse();
  }

  @Test
  @DisplayName("clusterIP None or empty marks a service headless")
  void headless() {
    assertThat(Service.builder("a", "b").clusterIp("None").build().headless()).isTrue();
    assertThat(Service.builder("a", "b").build().headless()).isTrue();
  }

  @Test
  void lbIngressWithProxyIpModeIsNotProgrammable() {
    Service s = web().loadBalancerIngress("192.0.2.1", null, "Proxy").build();
    assertThat(s.loadBalancerIngress().get(0).programmable()).isFalse();
  }

  @Test
  void badServiceFieldsAreNamed() {
    assertThatThrownBy(() -> web().clusterIp("nope").build())
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageStartingWith("Service default/web: spec.clusterIPs[1]");
    assertThatThrownBy(() -> web().port("x", "TCP", 70000).build())
        .hasMessage("Service default/web: spec.ports[1].port: 70000 is outside 1..65535");
    assertThatThrownBy(() -> web().port("x", "ICMP", 1).build())
        .hasMessageContaining("spec.ports[1].protocol");
    assertThatThrownBy(() -> web().port("http", "UDP", 81).build())
        .hasMessageContaining("spec.ports[1].name: duplicate port name 'http'");
    assertThatThrownBy(() -> web().port("other", "TCP", 80).build())
        .hasMessageContaining("duplicate port 80/TCP");
    assertThatThrownBy(() -> web().externalIp("1.2.3").build())
        .hasMessageContaining("spec.externalIPs[0]");
    assertThatThrownBy(() -> web().loadBalancerSourceRange("1.2.3.0/99").build())
        .hasMessageContaining("spec.loadBalancerSourceRanges[0]");
    assertThatThrownBy(() -> web().sessionAffinity("ClientIP", 0).build())
        .hasMessageContaining("timeoutSeconds");
    assertThatThrownBy(() -> web().sessionAffinity("Sticky", null).build())
        .hasMessageContaining("spec.sessionAffinity");
    assertThatThrownBy(() -> web().type("Magic").build()).hasMessageContaining("spec.type");
    assertThatThrownBy(() -> web().externalTrafficPolicy("Nearby").build())
        .hasMessageContaining("spec.externalTrafficPolicy");
    assertThatThrownBy(() -> web().clusterIp("10.96.0.11").build())
        .hasMessageContaining("second V4 ClusterIP");
    assertThatThrownBy(() -> Service.builder("", "x")).hasMessageContaining("metadata.namespace");
  }

  @Test
  @DisplayName("EndpointSlice conditions take the API defaults: ready unset = ready, serving unset = ready")
  void sliceConditionDefaults() {
    EndpointSlice slice =
        EndpointSlice.builder("default", "web-abc")
            .serviceName("web")
            .port("http", "TCP", 8080)
            .endpoint("10.244.0.1", null, null, null, "n1", "z1", List.of("z1"), null)
            .endpoint("10.244.0.2", false, null, true, "n1", null, null, null)
            .build();
    assertThat(slice.serviceId()).isEqualTo(NamespacedName.of("default", "web"));
    SliceEndpoint first = slice.endpoints().get(0);
    assertThat(first.ready()).isTrue();
    assertThat(first.serving()).isTrue();
    assertThat(first.terminating()).isFalse();
    assertThat(first.zoneHints()).containsExactly("z1");
    SliceEndpoint second = slice.endpoints().get(1);
    assertThat(second.ready()).isFalse();
    assertThat(second.serving()).isFalse();
    assertThat(second.terminating()).isTrue();
  }

  @Test
  void badSliceFieldsAreNamed() {
    assertThatThrownBy(
            () ->
                EndpointSlice.builder("default", "s")
                    .endpoint("10.0.0.1", "n")
                    .endpoint("fd00::1", "n")
                    .build())
        .hasMessage("EndpointSlice default/s: endpoints[1].addresses[0]: 'fd00::1' is not of addressType IPv4");
    assertThatThrownBy(() -> EndpointSlice.builder("default", "s").port("p", "TCP", 0).build())
        .hasMessageContaining("ports[0].port");
    assertThatThrownBy(() -> EndpointSlice.builder("default", "s").addressType("IPX").build())
        .hasMessageContaining("addressType");
  }

  @Test
  void fqdnSlicesCarryNoEndpoints() {
    EndpointSlice slice =
        EndpointSlice.builder("default", "s").addressType("FQDN").endpoint("example.com", "n").build();
    assertThat(slice.addressFamily()).isNull();
    assertThat(slice.endpoints()).isEmpty();
  }

  @Test
  void nodeParsingNamesField() {
    assertThatThrownBy(() -> Node.parse("n1", List.of("10.0.0.1", "bad"), java.util.Map.of(), List.of()))
        .hasMessage("Node n1: status.addresses[1].address: 'bad' is not an IP address");
    Node n =
        Node.parse(
            "n1",
            List.of("10.0.0.1", "fd00::1"),
            java.util.Map.of(Node.LABEL_ZONE, "z1"),
            List.of("10.244.1.0/24"));
    assertThat(n.zone()).isEqualTo("z1");
    assertThat(n.primaryAddress(IpFamily.V6)).hasToString("fd00::1");
  }
}
