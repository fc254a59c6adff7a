package dev.kubeproxy.userspace;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.api.testing.TableFixtures.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddedPlanTest {
  private static final ServiceEntry WEB =
      entry("default", "web", "http", Protocol.TCP)
          .clusterIp("10.96.0.10", 8080)
          .nodePort(30080)
          .endpoints(endpoint("10.1.0.1", 80))
          .build();

  @Test
  void oneInternalListenerPerBindAddressOfTheEntrysFamily() {
    EmbeddedPlan plan = EmbeddedPlan.ephemeral(List.of(ip("127.0.0.1"), ip("::1"), ip("127.0.0.2")));

    assertThat(plan.listenersFor(WEB))
        .containsExactly(
            new ListenerSpec(WEB.key(), Traffic.INTERNAL, ip("127.0.0.1"), 0),
            new ListenerSpec(WEB.key(), Traffic.INTERNAL, ip("127.0.0.2"), 0));
  }

  @Test
  void servicePortsListenOnTheClusterIpPort() {
    EmbeddedPlan plan = EmbeddedPlan.onServicePorts(List.of(ip("127.0.0.1")));

    assertThat(plan.listenersFor(WEB))
        .containsExactly(new ListenerSpec(WEB.key(), Traffic.INTERNAL, ip("127.0.0.1"), 8080));
  }

  @Test
  void sctpGetsNoListener() {
    ServiceEntry sctp =
        entry("default", "s", "p", Protocol.SCTP).clusterIp("10.96.0.11", 9).build();

    assertThat(EmbeddedPlan.ephemeral(List.of(ip("127.0.0.1"))).listenersFor(sctp)).isEmpty();
  }

  @Test
  void rejectsNoOrDuplicateBindAddresses() {
    assertThatThrownBy(() -> EmbeddedPlan.ephemeral(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EmbeddedPlan.ephemeral(List.of(ip("127.0.0.1"), ip("127.0.0.1"))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
