package dev.kubeproxy.api.testing;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.api.testing.TableFixtures.localEndpoint;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TableFixturesTest {
  @Test
  @DisplayName("Default lists follow the policies: eTP=Local keeps local endpoints, empty-with-others is DROP")
  void derivedLists() {
    ServiceEntry e = entry("ns", "svc", "p", Protocol.TCP)
        .clusterIp("10.96.0.1", 80)
        .externalPolicyLocal()
        .endpoints(endpoint("10.1.1.11", 11), localEndpoint("10.1.1.1", 11))
        .build();
    assertThat(e.family()).isEqualTo(IpFamily.V4);
    // upstream orders by the ip:port string, so "10.1.1.11:11" sorts before "10.1.1.1:11"
    assertThat(e.internal().endpoints()).extracting(Object::toString)
        .containsExactly("10.1.1.11:11", "10.1.1.1:11");
    assertThat(e.external().endpoints()).extracting(Object::toString).containsExactly("10.1.1.1:11");
    assertThat(e.cluster()).hasSize(2);
    assertThat(e.external().ifEmpty()).isEqualTo(EmptyVerdict.DROP);
  }

  @Test
  @DisplayName("No endpoints anywhere: every list REJECTs")
  void emptyRejects() {
    ServiceEntry e = entry("ns", "svc", "", Protocol.UDP).clusterIp("fd00::1", 53).build();
    assertThat(e.family()).isEqualTo(IpFamily.V6);
    assertThat(e.rejectsEverything()).isTrue();
  }

  @Test
  @DisplayName("The table builder carries the table-wide facts and entries")
  void table() {
    ForwardingTable t = TableFixtures.table(IpFamily.V4)
        .nodeAddresses("192.168.0.10")
        .nodePortAddresses("192.168.0.0/24")
        .clusterCidrDetector("10.244.0.0/16")
        .masqueradeAll()
        .with(entry("ns", "a", "", Protocol.TCP).clusterIp("10.96.0.1", 80).build())
        .build();
    assertThat(t.size()).isEqualTo(1);
    assertThat(t.nodeAddresses()).extracting(Object::toString).containsExactly("192.168.0.10");
    assertThat(t.localDetector().matchesSource(TableFixtures.ip("10.244.3.3"))).isTrue();
    assertThat(t.masqueradeAll()).isTrue();
    assertThat(t.isClusterIp(TableFixtures.ip("10.96.0.1"))).isTrue();
  }
}
