package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ForwardingTableTest {
  private static ServiceEntry entry(String name, String port, String clusterIp) {
    ServicePortKey key = ServicePortKey.of("ns", name, port, Protocol.TCP);
    ServiceEntry.Builder b = ServiceEntry.builder(key, IpFamily.V4);
    if (clusterIp != null) {
      b.frontends(new Frontend(FrontendKind.CLUSTER_IP, IpAddress.parse(clusterIp), 80, Protocol.TCP));
    }
    return b.build();
  }

  private static Map<ServicePortKey, ServiceEntry> put(ServiceEntry... entries) {
    Map<ServicePortKey, ServiceEntry> m = new HashMap<>();
    for (ServiceEntry e : entries) {
      m.put(e.key(), e);
    }
    return m;
  }

  @Test
  @DisplayName("a ClusterIP stays known until the last service port using it is removed")
  void clusterIpIndexCountsUsers() {
    ServiceEntry http = entry("web", "http", "10.96.0.1");
    ServiceEntry https = entry("web", "https", "10.96.0.1");
    ForwardingTable t = ForwardingTable.empty(IpFamily.V4).withEntries(put(http, https));
    assertThat(t.isClusterIp(IpAddress.parse("10.96.0.1"))).isTrue();

    Map<ServicePortKey, ServiceEntry> removeHttp = new HashMap<>();
    removeHttp.put(http.key(), null);
    ForwardingTable one = t.withEntries(removeHttp);
    assertThat(one.isClusterIp(IpAddress.parse("10.96.0.1"))).isTrue();

    Map<ServicePortKey, ServiceEntry> removeHttps = new HashMap<>();
    removeHttps.put(https.key(), null);
    assertThat(one.withEntries(removeHttps).isClusterIp(IpAddress.parse("10.96.0.1"))).isFalse();
    assertThat(t.isClusterIp(IpAddress.parse("10.96.0.1"))).as("older table unchanged").isTrue();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 7, 99})
  @DisplayName("the ClusterIP index always equals the ClusterIPs of the entries (random updates)")
  void clusterIpIndexMatchesEntries(long seed) {
    Random random = new Random(seed);
    ForwardingTable t = ForwardingTable.empty(IpFamily.V4);
    for (int round = 0; round < 100; round++) {
      Map<ServicePortKey, ServiceEntry> changes = new HashMap<>();
      for (int i = random.nextInt(8); i >= 0; i--) {
        String name = "s" + random.nextInt(30);
        String port = "p" + random.nextInt(3);
        ServicePortKey key = ServicePortKey.of("ns", name, port, Protocol.TCP);
        int kind = random.nextInt(4);
        changes.put(key, kind == 0 ? null
            : entry(name, port, kind == 1 ? null : "10.96.0." + random.nextInt(10)));
      }
      t = t.withEntries(changes);
      Set<IpAddress> expected = t.entries().values().stream()
          .map(ServiceEntry::clusterIp).filter(ip -> ip != null).collect(Collectors.toSet());
      assertThat(t.clusterIps()).as("seed %d round %d", seed, round)
          .containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @Test
  @DisplayName("the facts are one value: the read accessors delegate to it, and withFacts keeps the entries")
  void factsAreOneValue() {
    TableFacts facts = TableFacts.builder()
        .nodeAddresses(List.of(IpAddress.parse("192.0.2.1")))
        .nodePortAddresses(NodePortAddresses.cidrs("192.0.2.0/24"))
        .masqueradeAll(true)
        .masqueradeMark(0x2000)
        .build();
    ForwardingTable t = ForwardingTable.empty(IpFamily.V4).withEntries(put(entry("a", "", "10.96.0.9")));
    ForwardingTable withFacts = t.withFacts(facts);
    assertThat(withFacts.facts()).isEqualTo(facts);
    assertThat(withFacts.nodePortAddresses()).containsExactly(Cidr.parse("192.0.2.0/24"));
    assertThat(withFacts.masqueradeMark()).isEqualTo(0x2000);
    assertThat(withFacts.entries()).isEqualTo(t.entries());
    assertThat(withFacts.isClusterIp(IpAddress.parse("10.96.0.9"))).isTrue();
    assertThat(withFacts.sameFacts(t)).isFalse();
    assertThat(withFacts.sameFacts(ForwardingTable.empty(IpFamily.V4, facts))).isTrue();
    assertThat(t.nodePortAddresses()).as("default: every address").isEmpty();
  }

  @Test
  @DisplayName("facts of the wrong family, an unresolved 'primary' or a mark that is not one bit are refused")
  void factsAreChecked() {
    TableFacts v6 = TableFacts.builder().nodeAddresses(List.of(IpAddress.parse("fd00::1"))).build();
    assertThatThrownBy(() -> ForwardingTable.empty(IpFamily.V4, v6))
        .hasMessageContaining("fd00::1 is not");
    assertThatThrownBy(() -> TableFacts.builder().nodePortAddresses(NodePortAddresses.PRIMARY).build())
        .hasMessageContaining("primary");
    assertThatThrownBy(() -> TableFacts.builder().masqueradeMark(0x3000).build())
        .hasMessageContaining("single bit");
  }

  @Test
  @DisplayName("ServiceEntry.toBuilder round-trips, and the builder derives serving endpoints from the lists")
  void serviceEntryBuilder() {
    ServiceEndpoint a = new ServiceEndpoint(IpAddress.parse("10.244.0.5"), 8080, true, false);
    ServiceEndpoint b = new ServiceEndpoint(IpAddress.parse("10.244.0.6"), 8080, false, false);
    ServiceEntry e = ServiceEntry.builder(ServicePortKey.of("ns", "s", "", Protocol.UDP), IpFamily.V4)
        .frontends(Frontend.nodePort(30053, Protocol.UDP))
        .internal(new EndpointList(com.google.common.collect.ImmutableList.of(a), EmptyVerdict.REJECT))
        .cluster(List.of(a, b))
        .externalPolicyLocal(true)
        .healthCheckNodePort(31000)
        .build();
    assertThat(e.servingEndpoints()).containsExactlyInAnyOrder(a, b);
    assertThat(e.external()).isEqualTo(EndpointList.REJECTING);
    assertThat(e.toBuilder().build()).isEqualTo(e);
    assertThat(e.toBuilder().healthCheckNodePort(0).build().healthCheckNodePort()).isZero();
  }

  @Test
  @DisplayName("service CIDRs are a table-wide fact: sorted, deduplicated, of the table's family")
  void serviceCidrsAreTableFacts() {
    TableFacts facts = TableFacts.builder()
        .serviceCidrs(List.of(Cidr.parse("10.97.0.0/16"), Cidr.parse("10.96.0.0/16"),
            Cidr.parse("10.97.0.0/16")))
        .build();
    ForwardingTable t = ForwardingTable.empty(IpFamily.V4, facts);

    assertThat(t.serviceCidrs()).containsExactly(Cidr.parse("10.96.0.0/16"), Cidr.parse("10.97.0.0/16"));
    assertThat(t.sameFacts(ForwardingTable.empty(IpFamily.V4))).isFalse();
    assertThat(t.sameFacts(t.withFacts(facts.toBuilder().build()))).isTrue();
    assertThatThrownBy(() -> ForwardingTable.empty(IpFamily.V6, facts))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service CIDR 10.96.0.0/16 is not");
  }
}
