package dev.kubeproxy.bin.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointPort;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.InvalidObjectException;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LoadBalancerIngress;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServicePortSpec;
import dev.kubeproxy.api.ServiceType;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.SliceEndpoint;
import dev.kubeproxy.api.TrafficPolicy;
import dev.kubeproxy.bin.config.Hostname;
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1ClientIPConfig;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ForNode;
import io.kubernetes.client.openapi.models.V1ForZone;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeAddress;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1NodeStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceCIDR;
import io.kubernetes.client.openapi.models.V1ServiceCIDRSpec;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import io.kubernetes.client.openapi.models.V1SessionAffinityConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KubernetesConverterTest {

  private static V1ObjectMeta meta(String namespace, String name) {
    return new V1ObjectMeta().namespace(namespace).name(name);
  }

  @Test
  @DisplayName("every Service field kube-proxy reads is carried over, including LB status and affinity")
  void serviceEveryField() {
    V1Service v1 =
        new V1Service()
            .metadata(meta("shop", "front").labels(Map.of("app", "front")))
            .spec(
                new V1ServiceSpec()
                    .type("LoadBalancer")
                    .clusterIP("10.96.0.1")
                    .clusterIPs(List.of("10.96.0.1", "fd00::1"))
                    .addPortsItem(new V1ServicePort().name("http").protocol("TCP").port(80).nodePort(30080))
                    .addPortsItem(new V1ServicePort().name("dns").protocol("UDP").port(53))
                    .externalIPs(List.of("192.0.2.9"))
                    .externalTrafficPolicy("Local")
                    .internalTrafficPolicy("Local")
                    .sessionAffinity("ClientIP")
                    .sessionAffinityConfig(
                        new V1SessionAffinityConfig().clientIP(new V1ClientIPConfig().timeoutSeconds(60)))
                    .loadBalancerSourceRanges(List.of("198.51.100.0/24"))
                    .healthCheckNodePort(32000))
            .status(
                new V1ServiceStatus()
                    .loadBalancer(
                        new V1LoadBalancerStatus()
                            .addIngressItem(new V1LoadBalancerIngress().ip("203.0.113.1").ipMode("Proxy"))
                            .addIngressItem(new V1LoadBalancerIngress().hostname("lb.example"))));

    Service s = KubernetesConverter.service(v1);

    assertThat(s.id()).isEqualTo(NamespacedName.of("shop", "front"));
    assertThat(s.labels()).containsEntry("app", "front");
    assertThat(s.type()).isEqualTo(ServiceType.LOAD_BALANCER);
    assertThat(s.clusterIps())
        .containsExactly(IpAddress.parse("10.96.0.1"), IpAddress.parse("fd00::1"));
    assertThat(s.ports())
        .containsExactly(
            new ServicePortSpec("http", Protocol.TCP, 80, 30080),
            new ServicePortSpec("dns", Protocol.UDP, 53, 0));
    assertThat(s.externalIps()).containsExactly(IpAddress.parse("192.0.2.9"));
    assertThat(s.externalTrafficPolicy()).isEqualTo(TrafficPolicy.LOCAL);
    assertThat(s.internalTrafficPolicy()).isEqualTo(TrafficPolicy.LOCAL);
    assertThat(s.sessionAffinity()).isEqualTo(SessionAffinity.clientIp(60));
    assertThat(s.loadBalancerSourceRanges()).containsExactly(Cidr.parse("198.51.100.0/24"));
    assertThat(s.healthCheckNodePort()).isEqualTo(32000);
    assertThat(s.loadBalancerIngress())
        .containsExactly(
            new LoadBalancerIngress(IpAddress.parse("203.0.113.1"), null, "Proxy"),
            new LoadBalancerIngress(null, "lb.example", null));
  }

  @Test
  @DisplayName("a Service with only the old single clusterIP field and API defaults elsewhere")
  void serviceDefaults() {
    V1Service v1 =
        new V1Service()
            .metadata(meta("default", "plain"))
            .spec(new V1ServiceSpec().clusterIP("10.96.0.2").addPortsItem(new V1ServicePort().port(80)));

    Service s = KubernetesConverter.service(v1);

    assertThat(s.type()).isEqualTo(ServiceType.CLUSTER_IP);
    assertThat(s.clusterIps()).containsExactly(IpAddress.parse("10.96.0.2"));
    assertThat(s.ports()).containsExactly(new ServicePortSpec("", Protocol.TCP, 80, 0));
    assertThat(s.sessionAffinity()).isEqualTo(SessionAffinity.NONE);
    assertThat(s.externalTrafficPolicy()).isEqualTo(TrafficPolicy.CLUSTER);
  }

  @Test
  @DisplayName("clusterIP None marks the Service headless (kube-proxy ignores it)")
  void headless() {
    V1Service v1 =
        new V1Service().metadata(meta("default", "db")).spec(new V1ServiceSpec().clusterIP("None"));

    assertThat(KubernetesConverter.service(v1).headless()).isTrue();
  }

  @Test
  @DisplayName("an invalid Service names the object and the field")
  void invalidServiceNamesField() {
    V1Service v1 =
        new V1Service()
            .metadata(meta("default", "bad"))
            .spec(
                new V1ServiceSpec()
                    .clusterIP("10.96.0.3")
                    .addPortsItem(new V1ServicePort().port(80))
                    .externalIPs(List.of("10.0.0.1", "not-an-ip")));

    assertThatThrownBy(() -> KubernetesConverter.service(v1))
        .isInstanceOfSatisfying(
            InvalidObjectException.class,
            e -> {
              assertThat(e.object()).isEqualTo("Service default/bad");
              assertThat(e.field()).isEqualTo("spec.externalIPs[1]");
            });
  }

  @Test
  @DisplayName("EndpointSlice: labels, ports (null port skipped), first address only, conditions, hints")
  void sliceEveryField() {
    V1EndpointSlice v1 =
        new V1EndpointSlice()
            .metadata(meta("shop", "front-abc").labels(Map.of("kubernetes.io/service-name", "front")))
            .addressType("IPv4")
            .addPortsItem(new DiscoveryV1EndpointPort().name("http").protocol("TCP").port(8080))
            .addPortsItem(new DiscoveryV1EndpointPort().name("all"))
            .addPortsItem(new DiscoveryV1EndpointPort().name("dns").protocol("UDP").port(53))
            .addEndpointsItem(
                new V1Endpoint()
                    .addresses(List.of("10.244.1.5", "10.244.1.6"))
                    .conditions(new V1EndpointConditions().ready(false).serving(true).terminating(true))
                    .nodeName("node-1")
                    .zone("zone-a")
                    .hints(
                        new V1EndpointHints()
                            .addForZonesItem(new V1ForZone().name("zone-a"))
                            .addForNodesItem(new V1ForNode().name("node-1"))))
            .addEndpointsItem(new V1Endpoint().addresses(List.of("10.244.2.5")));

    EndpointSlice s = KubernetesConverter.endpointSlice(v1);

    assertThat(s.id()).isEqualTo(NamespacedName.of("shop", "front-abc"));
    assertThat(s.serviceId()).isEqualTo(NamespacedName.of("shop", "front"));
    assertThat(s.addressFamily()).isEqualTo(IpFamily.V4);
    assertThat(s.ports())
        .containsExactly(
            new EndpointPort("http", Protocol.TCP, 8080), new EndpointPort("dns", Protocol.UDP, 53));
    assertThat(s.endpoints())
        .containsExactly(
            new SliceEndpoint(
                IpAddress.parse("10.244.1.5"), false, true, true, "node-1", "zone-a",
                ImmutableSet.of("zone-a"), ImmutableSet.of("node-1")),
            // No conditions: ready and serving by the API defaults, not terminating.
            new SliceEndpoint(
                IpAddress.parse("10.244.2.5"), true, true, false, null, null, null, null));
  }

  @Test
  @DisplayName("an endpoint without addresses is rejected naming endpoints[i].addresses[0]")
  void sliceEndpointWithoutAddress() {
    V1EndpointSlice v1 =
        new V1EndpointSlice()
            .metadata(meta("default", "s"))
            .addressType("IPv4")
            .addEndpointsItem(new V1Endpoint().addresses(List.of("10.0.0.1")))
            .addEndpointsItem(new V1Endpoint());

    assertThatThrownBy(() -> KubernetesConverter.endpointSlice(v1))
        .isInstanceOfSatisfying(
            InvalidObjectException.class,
            e -> {
              assertThat(e.object()).isEqualTo("EndpointSlice default/s");
              assertThat(e.field()).isEqualTo("endpoints[1].addresses[0]");
            });
  }

  @Test
  @DisplayName("Node: InternalIPs before ExternalIPs, other address types dropped; labels; podCIDRs")
  void nodeEveryField() {
    V1Node v1 =
        new V1Node()
            .metadata(new V1ObjectMeta().name("node-1").labels(Map.of(Node.LABEL_ZONE, "zone-a")))
            .spec(new V1NodeSpec().podCIDR("10.244.1.0/24").podCIDRs(List.of("10.244.1.0/24", "fd00:1::/64")))
            .status(
                new V1NodeStatus()
                    .addAddressesItem(new V1NodeAddress().type("ExternalIP").address("203.0.113.5"))
                    .addAddressesItem(new V1NodeAddress().type("Hostname").address("node-1"))
                    .addAddressesItem(new V1NodeAddress().type("InternalIP").address("192.0.2.1"))
                    .addAddressesItem(new V1NodeAddress().type("InternalIP").address("2001:db8::1")));

    Node node = KubernetesConverter.node(v1);

    assertThat(node.name()).isEqualTo("node-1");
    assertThat(node.addresses())
        .containsExactly(
            IpAddress.parse("192.0.2.1"), IpAddress.parse("2001:db8::1"), IpAddress.parse("203.0.113.5"));
    assertThat(node.zone()).isEqualTo("zone-a");
    assertThat(node.podCidrs()).containsExactly(Cidr.parse("10.244.1.0/24"), Cidr.parse("fd00:1::/64"));
  }

  @Test
  @DisplayName("a Node with a deletion timestamp or the autoscaler's ToBeDeletedByClusterAutoscaler taint is being deleted (healthz then fails)")
  void nodeBeingDeleted() {
    V1Node plain = new V1Node().metadata(new V1ObjectMeta().name("n")).spec(new V1NodeSpec());
    V1Node tainted =
        new V1Node()
            .metadata(new V1ObjectMeta().name("n"))
            .spec(new V1NodeSpec().addTaintsItem(
                new io.kubernetes.client.openapi.models.V1Taint().key("ToBeDeletedByClusterAutoscaler").effect("NoSchedule")));
    V1Node deleting =
        new V1Node().metadata(new V1ObjectMeta().name("n").deletionTimestamp(java.time.OffsetDateTime.now()));

    assertThat(KubernetesConverter.node(plain).beingDeleted()).isFalse();
    assertThat(KubernetesConverter.node(tainted).beingDeleted()).isTrue();
    assertThat(KubernetesConverter.node(deleting).beingDeleted()).isTrue();
  }

  @Test
  @DisplayName("Node: spec.podCIDR is used when spec.podCIDRs is absent")
  void nodeSinglePodCidr() {
    V1Node v1 = new V1Node().metadata(new V1ObjectMeta().name("n")).spec(new V1NodeSpec().podCIDR("10.1.0.0/24"));

    assertThat(KubernetesConverter.node(v1).podCidrs()).containsExactly(Cidr.parse("10.1.0.0/24"));
  }

  @Test
  @DisplayName("an invalid Node address names its original index in status.addresses")
  void nodeBadAddress() {
    V1Node v1 =
        new V1Node()
            .metadata(new V1ObjectMeta().name("n"))
            .status(
                new V1NodeStatus()
                    .addAddressesItem(new V1NodeAddress().type("Hostname").address("n"))
                    .addAddressesItem(new V1NodeAddress().type("InternalIP").address("999.1.1.1")));

    assertThatThrownBy(() -> KubernetesConverter.node(v1))
        .isInstanceOfSatisfying(
            InvalidObjectException.class,
            e -> {
              assertThat(e.object()).isEqualTo("Node n");
              assertThat(e.field()).isEqualTo("status.addresses[1].address");
            });
  }

  @Test
  @DisplayName("objects from the API server get the same checks as manifests (defence in depth)")
  void apiObjectsValidatedAsTheApiServerDoes() {
    V1ServiceSpec spec =
        new V1ServiceSpec().clusterIP("10.96.0.1").addPortsItem(new V1ServicePort().port(80));
    assertThatThrownBy(() -> KubernetesConverter.service(new V1Service().metadata(meta("default", "web"))))
        .isInstanceOf(InvalidObjectException.class)
        .hasMessage("Service default/web: spec: must be set");
    assertThatThrownBy(() -> KubernetesConverter.service(
            new V1Service().metadata(meta("default", "web")).spec(new V1ServiceSpec().clusterIP("10.96.0.1"))))
        .hasMessage("Service default/web: spec.ports: at least one port is required");
    assertThatThrownBy(() -> KubernetesConverter.service(
            new V1Service().metadata(meta("default", "web")).spec(spec.clusterIPs(List.of("10.96.0.2")))))
        .hasMessageContaining("spec.clusterIP: '10.96.0.1' must equal spec.clusterIPs[0]");
    assertThatThrownBy(() -> KubernetesConverter.service(
            new V1Service().metadata(meta("default", "web"))
                .spec(new V1ServiceSpec().clusterIP("10.96.0.1").addPortsItem(new V1ServicePort().port(80))
                    .externalIPs(List.of("127.0.0.1")))))
        .hasMessageContaining("spec.externalIPs[0]: '127.0.0.1' may not be in the loopback range");
    assertThatThrownBy(() -> KubernetesConverter.endpointSlice(
            new V1EndpointSlice().metadata(meta("default", "web-1").labels(Map.of("kubernetes.io/service-name", "web")))
                .addressType("IPv4")
                .addEndpointsItem(new V1Endpoint().addresses(List.of("169.254.169.254")))))
        .hasMessageContaining("endpoints[0].addresses[0]: '169.254.169.254' may not be in the link-local range");
    assertThatThrownBy(() -> KubernetesConverter.node(
            new V1Node().metadata(new V1ObjectMeta().name("node-1"))
                .status(new V1NodeStatus().addAddressesItem(new V1NodeAddress().type("Internalip").address("10.0.0.1")))))
        .hasMessageContaining("Node node-1: status.addresses[0].type: unknown address type 'Internalip'");
  }

  @Test
  @DisplayName("a ServiceCIDR converts to its name and spec.cidrs; status is not read; a missing spec or a non-canonical CIDR names the field")
  void serviceCidr() {
    V1ServiceCIDR dual = new V1ServiceCIDR()
        .metadata(new V1ObjectMeta().name("kubernetes"))
        .spec(new V1ServiceCIDRSpec().cidrs(List.of("10.96.0.0/16", "fd00:10:96::/112")));
    assertThat(KubernetesConverter.serviceCidr(dual).cidrs())
        .containsExactly(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:10:96::/112"));

    assertThatThrownBy(() -> KubernetesConverter.serviceCidr(
            new V1ServiceCIDR().metadata(new V1ObjectMeta().name("nospec"))))
        .isInstanceOf(InvalidObjectException.class)
        .hasMessage("ServiceCIDR nospec: spec.cidrs: must hold one or two CIDRs");
    assertThatThrownBy(() -> KubernetesConverter.serviceCidr(new V1ServiceCIDR()
            .metadata(new V1ObjectMeta().name("host"))
            .spec(new V1ServiceCIDRSpec().cidrs(List.of("10.96.0.1/16")))))
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageStartingWith("ServiceCIDR host: spec.cidrs[0]: ");
  }
}
