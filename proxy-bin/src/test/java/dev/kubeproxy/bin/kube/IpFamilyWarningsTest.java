package dev.kubeproxy.bin.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Service;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Upstream's wrong-IP-family warning about a Service, and its deduplication. */
class IpFamilyWarningsTest {
  private final List<String> sent = new ArrayList<>();
  private final NodeEvents events = new NodeEvents() {
    @Override
    public void record(String type, String reason, String action, String note) {
      sent.add("node " + reason);
    }

    @Override
    public void recordForService(
        NamespacedName service, String uid, String type, String reason, String action, String note) {
      sent.add(service + " " + uid + " " + type + " " + reason + " " + action + ": " + note);
    }
  };
  private final IpFamilyWarnings v4Only = new IpFamilyWarnings(EnumSet.of(IpFamily.V4), events);

  private static Service.Builder service(String... clusterIps) {
    Service.Builder b = Service.builder("default", "web").port("http", "TCP", 80);
    for (String ip : clusterIps) {
      b.clusterIp(ip);
    }
    return b;
  }

  @Test
  @DisplayName("each wrong-family field gets one note in upstream's words; the Service's own family passes")
  void fields() {
    Service mixed = service("10.96.0.10", "fd00:96::10")
        .type("LoadBalancer")
        .port("https", "TCP", 443, 30443)
        .externalIp("198.51.100.1").externalIp("2001:db8::1").externalIp("2001:db8::2")
        .loadBalancerSourceRange("203.0.113.0/24").loadBalancerSourceRange("2001:db8:1::/64")
        .loadBalancerIngress("2001:db8::20", null, null)
        .build();

    assertThat(v4Only.notes(mixed)).containsExactly(
        "2001:db8::1,2001:db8::2 in externalIPs has incorrect IP version",
        "2001:db8:1::/64 in loadBalancerSourceRanges has incorrect IP version",
        "2001:db8::20 in Load Balancer ingress IPs has incorrect IP version");
    assertThat(new IpFamilyWarnings(EnumSet.allOf(IpFamily.class), events).notes(mixed))
        .as("a dual-stack proxy handles every family").isEmpty();
  }

  @Test
  @DisplayName("no ClusterIP of a handled family: one clusterIP note and nothing else; headless and ExternalName are never warned")
  void clusterIpAndSkippedServices() {
    Service v6 = service("fd00:96::10").externalIp("2001:db8::1").build();
    assertThat(v4Only.notes(v6)).containsExactly("fd00:96::10 in clusterIP has incorrect IP version");
    assertThat(v4Only.notes(service("None").build())).isEmpty();
    assertThat(v4Only.notes(Service.builder("default", "ext").type("ExternalName")
        .externalIp("2001:db8::1").build())).isEmpty();
  }

  @Test
  @DisplayName("a warning is sent when it appears, not while the Service keeps it; a new value or a deletion lets it come again")
  void deduplicated() {
    Service v6 = service("fd00:96::10").build();
    v4Only.check(v6, "u1");
    v4Only.check(v6, "u1");
    v4Only.check(service("fd00:96::10").port("other", "UDP", 53).build(), "u1");
    assertThat(sent).containsExactly(
        "default/web u1 Warning KubeProxyIncorrectIPVersion GatherEndpoints:"
            + " fd00:96::10 in clusterIP has incorrect IP version");

    v4Only.check(service("10.96.0.10").build(), "u1");
    v4Only.check(v6, "u1");
    assertThat(sent).as("fixed, then broken again").hasSize(2);

    v4Only.forget(v6.id());
    v4Only.check(v6, "u2");
    assertThat(sent).hasSize(3).last().asString().startsWith("default/web u2 ");
  }
}
