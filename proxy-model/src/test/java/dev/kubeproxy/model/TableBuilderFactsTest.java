package dev.kubeproxy.model;

import static dev.kubeproxy.model.Fixtures.CONFIG;
import static dev.kubeproxy.model.Fixtures.NODE;
import static dev.kubeproxy.model.Fixtures.entry;
import static dev.kubeproxy.model.Fixtures.node;
import static dev.kubeproxy.model.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.LocalTrafficDetector.Mode;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.Service;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Table-wide facts (node addresses, NodePort addresses, detector, masquerade) and LB firewalls. */
class TableBuilderFactsTest {
  private static final ProxyConfig DUAL = CONFIG.toBuilder().families(IpFamily.V4, IpFamily.V6).build();

  private static ForwardingTable table(IpFamily family, Node node, ProxyConfig config) {
    return TableBuilder.build(family, snapshot(node, List.of(), List.of()), config);
  }

  private static List<Cidr> cidrs(String... text) {
    return java.util.Arrays.stream(text).map(Cidr::parse).toList();
  }

  private static ImmutableList<IpAddress> ips(String... text) {
    return java.util.Arrays.stream(text).map(IpAddress::parse).collect(ImmutableList.toImmutableList());
  }

  @Test
  @DisplayName("node addresses: the Node's addresses of the family, else the configured node IPs of the family")
  void nodeAddresses() {
    ProxyConfig config = DUAL.toBuilder().nodeIps(ips("172.16.0.1", "fd99::1")).build();
    Node node = node(null, "192.168.0.10", "192.168.0.11");
    assertThat(table(IpFamily.V4, node, config).nodeAddresses()).isEqualTo(ips("192.168.0.10", "192.168.0.11"));
    assertThat(table(IpFamily.V6, node, config).nodeAddresses()).isEqualTo(ips("fd99::1"));
    assertThat(table(IpFamily.V4, null, config).nodeAddresses()).isEqualTo(ips("172.16.0.1"));
  }

  @Test
  @DisplayName("nodePortAddresses: the configured CIDRs of the family; none of the family means all addresses (upstream adds the zero CIDR)")
  void nodePortAddresses() {
    ProxyConfig config = DUAL.toBuilder()
        .nodePortAddresses(NodePortAddresses.parse(List.of("192.168.0.0/24", " 10.0.0.0/8", "127.0.0.0/8")))
        .build();
    Node node = node(null, "192.168.0.10", "fd00::10");
    assertThat(table(IpFamily.V4, node, config).nodePortAddresses())
        .as("loopback CIDRs are kept for the backends to interpret")
        .isEqualTo(cidrs("192.168.0.0/24", "10.0.0.0/8", "127.0.0.0/8"));
    assertThat(table(IpFamily.V6, node, config).nodePortAddresses()).isEmpty();
    assertThat(table(IpFamily.V4, node, CONFIG).nodePortAddresses()).isEmpty();
  }

  @Test
  @DisplayName("nodePortAddresses: a zero CIDR overrides the others (match all)")
  void zeroCidrMatchesAll() {
    ProxyConfig config = CONFIG.toBuilder()
        .nodePortAddresses(NodePortAddresses.cidrs("192.168.0.0/24", "0.0.0.0/0"))
        .build();
    assertThat(table(IpFamily.V4, node(null, "192.168.0.10"), config).nodePortAddresses()).isEmpty();
  }

  @Test
  @DisplayName("nodePortAddresses 'primary': the node's primary IP of each family as a host CIDR")
  void primary() {
    ProxyConfig config = DUAL.toBuilder().nodePortAddresses(NodePortAddresses.PRIMARY).build();
    Node node = node(null, "192.168.0.10", "192.168.0.11", "fd00::10");
    assertThat(table(IpFamily.V4, node, config).nodePortAddresses()).isEqualTo(cidrs("192.168.0.10/32"));
    assertThat(table(IpFamily.V6, node, config).nodePortAddresses()).isEqualTo(cidrs("fd00::10/128"));
    Node v4only = node(null, "192.168.0.10");
    assertThat(table(IpFamily.V6, v4only, config).nodePortAddresses())
        .as("no primary IP of the family -> nothing configured -> all addresses")
        .isEmpty();
  }

  @Test
  @DisplayName("detector ClusterCIDR: the first cluster CIDR of the family; none of the family -> no detector")
  void clusterCidrDetector() {
    ProxyConfig config = DUAL.toBuilder()
        .clusterCidrs(cidrs("10.244.0.0/16", "10.245.0.0/16"))
        .detectLocal(Mode.CLUSTER_CIDR)
        .build();
    assertThat(table(IpFamily.V4, null, config).localDetector())
        .isEqualTo(LocalTrafficDetector.byCidrs(Mode.CLUSTER_CIDR, ImmutableList.of(Cidr.parse("10.244.0.0/16"))));
    assertThat(table(IpFamily.V6, null, config).localDetector()).isEqualTo(LocalTrafficDetector.NONE);
  }

  @Test
  @DisplayName("detector NodeCIDR: the Node's pod CIDR of the family; no Node or none of the family -> no detector")
  void nodeCidrDetector() {
    ProxyConfig config = DUAL.toBuilder().detectLocal(Mode.NODE_CIDR).build();
    Node node = new Node(NODE, ips("192.168.0.10"), ImmutableMap.of(),
        ImmutableList.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.244.2.0/24")));
    assertThat(table(IpFamily.V4, node, config).localDetector())
        .isEqualTo(LocalTrafficDetector.byCidrs(Mode.NODE_CIDR, ImmutableList.of(Cidr.parse("10.244.1.0/24"))));
    assertThat(table(IpFamily.V6, node, config).localDetector()).isEqualTo(LocalTrafficDetector.NONE);
    assertThat(table(IpFamily.V4, null, config).localDetector()).isEqualTo(LocalTrafficDetector.NONE);
  }

  @Test
  @DisplayName("detector BridgeInterface / InterfaceNamePrefix: match by interface; missing name -> no detector")
  void interfaceDetectors() {
    assertThat(table(IpFamily.V4, null, CONFIG.toBuilder().detectLocal(Mode.BRIDGE_INTERFACE, "cbr0", null).build()).localDetector())
        .isEqualTo(LocalTrafficDetector.byInterface(Mode.BRIDGE_INTERFACE, "cbr0"));
    assertThat(table(IpFamily.V4, null, CONFIG.toBuilder().detectLocal(Mode.INTERFACE_NAME_PREFIX, null, "veth").build()).localDetector())
        .isEqualTo(LocalTrafficDetector.byInterface(Mode.INTERFACE_NAME_PREFIX, "veth"));
    assertThat(table(IpFamily.V4, null, CONFIG.toBuilder().detectLocal(Mode.BRIDGE_INTERFACE).build()).localDetector())
        .isEqualTo(LocalTrafficDetector.NONE);
    assertThat(table(IpFamily.V4, null, CONFIG).localDetector()).isEqualTo(LocalTrafficDetector.NONE);
  }

  @Test
  @DisplayName("masqueradeAll and the mark (1 << masqueradeBit) come from the config")
  void masquerade() {
    ForwardingTable t = table(IpFamily.V4, null, CONFIG.toBuilder().masqueradeAll(true).build());
    assertThat(t.masqueradeAll()).isTrue();
    assertThat(t.masqueradeMark()).isEqualTo(0x4000);
    assertThat(table(IpFamily.V4, null, CONFIG).masqueradeAll()).isFalse();
  }

  private static Service.Builder lb(String... ranges) {
    Service.Builder b = Service.builder("ns", "web").type("LoadBalancer").clusterIp("10.0.0.1").clusterIp("fd00::1")
        .port("http", "TCP", 80, 30080).loadBalancerIngress("5.5.5.5").loadBalancerIngress("fd00::55");
    for (String r : ranges) {
      b.loadBalancerSourceRange(r);
    }
    return b;
  }

  @Test
  @DisplayName("loadBalancerSourceRanges: allowed sources are the ranges of the family")
  void firewallRanges() {
    ClusterSnapshot snap = snapshot(node(null, "192.168.0.10"), List.of(lb("1.2.3.0/24", " 4.0.0.0/8", "fd10::/64").build()), List.of());
    assertThat(entry(TableBuilder.build(IpFamily.V4, snap, DUAL), "web").firewallSources())
        .isEqualTo(cidrs("1.2.3.0/24", "4.0.0.0/8"));
    assertThat(entry(TableBuilder.build(IpFamily.V6, snap, DUAL), "web").firewallSources())
        .isEqualTo(cidrs("fd10::/64"));
  }

  @Test
  @DisplayName("loadBalancerSourceRanges: when the node's IP is inside a range the LB IPs are allowed too")
  void firewallAllowsLbIpsWhenNodeInRange() {
    ClusterSnapshot snap = snapshot(node(null, "192.168.0.10"), List.of(lb("192.168.0.0/16").build()), List.of());
    assertThat(entry(TableBuilder.build(IpFamily.V4, snap, DUAL), "web").firewallSources())
        .isEqualTo(cidrs("192.168.0.0/16", "5.5.5.5/32"));
  }

  @Test
  @DisplayName("no firewall without LB IPs, with ranges only of the other family (upstream filters by family), or with a zero range")
  void noFirewall() {
    Service noLb = Service.builder("ns", "web").type("NodePort").clusterIp("10.0.0.1").port("http", "TCP", 80, 30080)
        .loadBalancerSourceRange("1.2.3.0/24").build();
    assertThat(entry(Fixtures.v4(snapshot(noLb)), "web").hasFirewall()).isFalse();
    ClusterSnapshot v6Ranges = snapshot(lb("fd10::/64").build());
    assertThat(entry(TableBuilder.build(IpFamily.V4, v6Ranges, DUAL), "web").hasFirewall()).isFalse();
    ClusterSnapshot zero = snapshot(lb("1.2.3.0/24", "0.0.0.0/0").build());
    assertThat(entry(TableBuilder.build(IpFamily.V4, zero, DUAL), "web").hasFirewall()).isFalse();
  }
}
