package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The builders refuse what the API server refuses, naming the object and the field (issue 14). */
class ApiServerValidationTest {
  private static Service.Builder web() {
    return Service.builder("default", "web").clusterIp("10.96.0.10").port("http", "TCP", 80);
  }

  private static EndpointSlice.Builder slice() {
    return EndpointSlice.builder("default", "web-1").serviceName("web").port("http", "TCP", 8080);
  }

  @ParameterizedTest
  @ValueSource(strings = {"١٠.٩٦.٥.٩", "10.96.5.٩", "fd00::١"})
  @DisplayName("Unicode digits are not read as ASCII digits in IP literals")
  void unicodeDigitsRefused(String literal) {
    assertThat(IpAddress.isValid(literal)).isFalse();
    assertThatThrownBy(() -> Service.builder("default", "web").clusterIp(literal).port("", "TCP", 80).build())
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageContaining("spec.clusterIPs[0]")
        .hasMessageContaining("is not an IP address");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/٢٤")).hasMessageContaining("is not a CIDR");
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "0.0.0.0", "169.254.169.254", "::1", "::", "fe80::1", "224.0.0.5"})
  void specialExternalIpsRefused(String ip) {
    assertThatThrownBy(() -> web().externalIp("192.0.2.1").externalIp(ip).build())
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageStartingWith("Service default/web: spec.externalIPs[1]: '")
        .hasMessageContaining("may not be");
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "0.0.0.0", "169.254.169.254", "::1", "fe80::1"})
  void specialEndpointsRefused(String ip) {
    String type = ip.contains(":") ? "IPv6" : "IPv4";
    assertThatThrownBy(() -> slice().addressType(type).endpoint(ip, "n1").build())
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageStartingWith("EndpointSlice default/web-1: endpoints[0].addresses[0]:")
        .hasMessageContaining("may not be");
  }

  @Test
  @DisplayName("an embedder may opt in to loopback endpoints, but not to other special addresses")
  void loopbackOptIn() {
    assertThat(slice().allowLoopback().endpoint("127.0.0.2", "n1").build().endpoints()).hasSize(1);
    assertThatThrownBy(() -> slice().allowLoopback().endpoint("169.254.169.254", "n1").build())
        .hasMessageContaining("link-local");
  }

  @Test
  @DisplayName("clusterIPs: None or empty only as the single value; [ip, \"\"] and [ip, None] are refused")
  void clusterIpsAsUpstream() {
    assertThat(Service.builder("a", "b").clusterIp("").build().headless()).isTrue();
    assertThat(Service.builder("a", "b").clusterIp("None").build().headless()).isTrue();
    assertThatThrownBy(() -> web().clusterIp("").build()).hasMessageContaining("spec.clusterIPs[1]");
    assertThatThrownBy(() -> web().clusterIp("None").build())
        .hasMessageContaining("spec.clusterIPs[1]: 'None' must be the only ClusterIP");
    assertThatThrownBy(() -> Service.builder("a", "b").clusterIp("None").clusterIp("10.0.0.1").build())
        .hasMessageContaining("spec.clusterIPs[0]");
    assertThatThrownBy(() -> web().clusterIp("fd00::1").clusterIp("fd00::2").build())
        .hasMessageContaining("spec.clusterIPs[2]");
  }

  @Test
  void namesAsTheApiServerChecksThem() {
    assertThatThrownBy(() -> Service.builder("default", "web ui"))
        .hasMessageContaining("metadata.name: 'web ui' is not a DNS-1035 label");
    assertThatThrownBy(() -> Service.builder("default", "1web"))
        .hasMessageContaining("metadata.name");
    assertThatThrownBy(() -> Service.builder("a/b", "web"))
        .hasMessageContaining("metadata.namespace: 'a/b' is not a DNS-1123 label");
    assertThatThrownBy(() -> Service.builder("default", "web\nFORGED"))
        .hasMessageNotContaining("\n")
        .hasMessageContaining("\\x0a");
    assertThatThrownBy(() -> web().port("web ui", "TCP", 81).build())
        .hasMessageContaining("spec.ports[1].name: 'web ui' is not a DNS-1123 label");
    assertThat(EndpointSlice.builder("default", "web.x-1").build().id().name()).isEqualTo("web.x-1");
    assertThatThrownBy(() -> EndpointSlice.builder("default", "Web"))
        .hasMessageContaining("is not a DNS-1123 subdomain");
    assertThatThrownBy(() -> slice().port("http", "UDP", 53).build())
        .hasMessageContaining("ports[1].name: duplicate port name 'http'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"web ui", "", "web.ui", "Web"})
  void unusableServiceNameLabelRefused(String label) {
    assertThatThrownBy(() -> EndpointSlice.builder("default", "s").serviceName(label).build())
        .hasMessageContaining("metadata.labels[kubernetes.io/service-name]")
        .hasMessageContaining("cannot name a Service");
  }

  @Test
  void sliceSizesBoundedAsTheApiServerBoundsThem() {
    EndpointSlice.Builder many = EndpointSlice.builder("default", "s");
    for (int i = 0; i <= EndpointSlice.MAX_ENDPOINTS; i++) {
      many.endpoint("10.1." + (i / 250) + "." + (i % 250 + 1), "n");
    }
    assertThatThrownBy(many::build).hasMessageContaining("endpoints: 1001 endpoints; at most 1000");
    EndpointSlice.Builder ports = EndpointSlice.builder("default", "s");
    for (int i = 0; i <= EndpointSlice.MAX_PORTS; i++) {
      ports.port("p" + i, "TCP", 1000 + i);
    }
    assertThatThrownBy(ports::build).hasMessageContaining("ports: 101 ports; at most 100");
  }

  @Test
  @DisplayName("a Node address type typo is named instead of silently dropping a family")
  void nodeAddressTypeTypoNamed() {
    assertThatThrownBy(() -> Node.builder("n1").address("Internalip", "10.0.0.1").build())
        .hasMessageStartingWith("Node n1: status.addresses[0].type: unknown address type 'Internalip'");
    Node n =
        Node.builder("n1")
            .address("Hostname", "n1")
            .address("ExternalIP", "192.0.2.1")
            .address("InternalIP", "10.0.0.1")
            .legacyPodCidr("10.244.0.0/24")
            .build();
    assertThat(n.addresses()).extracting(IpAddress::toString).containsExactly("10.0.0.1", "192.0.2.1");
    assertThat(n.podCidrs()).containsExactly(Cidr.parse("10.244.0.0/24"));
    assertThatThrownBy(() -> Node.builder("N_1").build()).hasMessageContaining("metadata.name");
  }

  @Test
  @DisplayName("ports: [] is refused on a Service with a ClusterIP, allowed on headless and ExternalName ones")
  void emptyPortsRefused() {
    assertThatThrownBy(() -> Service.builder("default", "web").clusterIp("10.96.0.10").build())
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageStartingWith("Service default/web: spec.ports:")
        .hasMessageContaining("at least one port is required");
    assertThat(Service.builder("default", "web").clusterIp("None").build().ports()).isEmpty();
    assertThat(Service.builder("default", "web").type("ExternalName").clusterIp("10.96.0.10")
        .build().ports()).isEmpty();
  }

  @Test
  @DisplayName("a nodePort on a ClusterIP Service is refused, as the API server forbids it")
  void nodePortOnClusterIpRefused() {
    assertThatThrownBy(() -> Service.builder("default", "web").clusterIp("10.96.0.10")
            .port("http", "TCP", 80, 30080).build())
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageStartingWith("Service default/web: spec.ports[0].nodePort:")
        .hasMessageContaining("ClusterIP");
    assertThat(Service.builder("default", "web").type("NodePort").clusterIp("10.96.0.10")
        .port("http", "TCP", 80, 30080).build().ports().get(0).nodePort()).isEqualTo(30080);
  }

  @Test
  @DisplayName("an unnamed port is refused when the Service has several, allowed when it has one")
  void unnamedPortAmongSeveralRefused() {
    assertThatThrownBy(() -> web().port("", "UDP", 53).build())
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageStartingWith("Service default/web: spec.ports[1].name:")
        .hasMessageContaining("required");
    assertThat(Service.builder("default", "web").clusterIp("10.96.0.10").port("", "TCP", 80)
        .build().ports()).hasSize(1);
  }
}
