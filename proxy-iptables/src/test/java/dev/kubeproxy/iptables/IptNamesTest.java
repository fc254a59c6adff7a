package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import org.junit.jupiter.api.Test;

/** Names pinned from upstream's iptables proxier_test.go expectations. */
class IptNamesTest {
  private static ServicePortKey key(String ns, String name) {
    return ServicePortKey.of(ns, name, "p80", Protocol.TCP);
  }

  private static ServiceEndpoint ep(String ip, int port) {
    return new ServiceEndpoint(IpAddress.parse(ip), port, false, false);
  }

  @Test
  void serviceChainsMatchUpstream() {
    assertThat(IptNames.svc(key("ns1", "svc1"))).isEqualTo("KUBE-SVC-XPGD46QRK7WJZT7O");
    assertThat(IptNames.svc(key("ns2", "svc2"))).isEqualTo("KUBE-SVC-GNZBNJ2PO5MGZ6GT");
    assertThat(IptNames.svl(key("ns2", "svc2"))).isEqualTo("KUBE-SVL-GNZBNJ2PO5MGZ6GT");
    assertThat(IptNames.ext(key("ns2", "svc2"))).isEqualTo("KUBE-EXT-GNZBNJ2PO5MGZ6GT");
    assertThat(IptNames.fw(key("ns2", "svc2"))).isEqualTo("KUBE-FW-GNZBNJ2PO5MGZ6GT");
    assertThat(IptNames.svc(key("ns3", "svc3"))).isEqualTo("KUBE-SVC-X27LE4BHSL4DOUIK");
    assertThat(IptNames.ext(key("ns4", "svc4"))).isEqualTo("KUBE-EXT-4SW47YFZTEDKD3PK");
    assertThat(IptNames.fw(key("ns5", "svc5"))).isEqualTo("KUBE-FW-NUKIZ6OKUXPJNT4C");
  }

  @Test
  void endpointChainsMatchUpstream() {
    assertThat(IptNames.sep(key("ns1", "svc1"), ep("10.180.0.1", 80)))
        .isEqualTo("KUBE-SEP-SXIVWICOYRO3J4NJ");
    assertThat(IptNames.sep(key("ns2", "svc2"), ep("10.180.0.2", 80)))
        .isEqualTo("KUBE-SEP-RS4RBKLTHTF2IUXJ");
  }

  @Test
  void protocolAndPortNameAreInTheHash() {
    ServicePortKey udp = ServicePortKey.of("ns1", "svc1", "p80", Protocol.UDP);
    ServicePortKey unnamed = ServicePortKey.of("ns1", "svc1", "", Protocol.TCP);
    assertThat(IptNames.svc(udp)).isNotEqualTo(IptNames.svc(key("ns1", "svc1")));
    assertThat(IptNames.svc(unnamed)).isNotEqualTo(IptNames.svc(key("ns1", "svc1")));
    assertThat(IptNames.isServiceChain("KUBE-SEP-SXIVWICOYRO3J4NJ")).isTrue();
    assertThat(IptNames.isServiceChain("KUBE-SERVICES")).isFalse();
  }
}
