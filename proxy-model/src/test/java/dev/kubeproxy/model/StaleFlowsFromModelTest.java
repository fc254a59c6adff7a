package dev.kubeproxy.model;

import static dev.kubeproxy.model.Fixtures.service;
import static dev.kubeproxy.model.Fixtures.slice;
import static dev.kubeproxy.model.Fixtures.snapshot;
import static dev.kubeproxy.model.Fixtures.v4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.model.conntrack.StaleFlow;
import dev.kubeproxy.model.conntrack.StaleFlows;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Stale UDP flows computed from tables the builder made (upstream conntrack/cleanup.go). */
class StaleFlowsFromModelTest {
  private static final Service DNS = service("dns", "10.96.0.10").port("dns", "UDP", 53).build();

  private static EndpointSlice dnsSlice(boolean secondReady, boolean secondServing) {
    return slice("dns-a", "dns")
        .port("dns", "UDP", 5353)
        .endpoint("10.1.0.1", true, true, false, "other", null, null, null)
        .endpoint("10.1.0.2", secondReady, secondServing, !secondReady, "other", null, null, null)
        .build();
  }

  @Test
  @DisplayName("a ready endpoint that starts terminating but still serves keeps its UDP flows")
  void gracefulTerminationKeepsFlows() {
    var before = v4(snapshot(DNS, dnsSlice(true, true)));
    var after = v4(snapshot(DNS, dnsSlice(false, true)));
    // The terminating endpoint left the load-balancing list but is still serving.
    assertThat(after.entries().values().iterator().next().internal().endpoints()).hasSize(1);
    assertThat(StaleFlows.between(before, after)).isEmpty();
  }

  @Test
  @DisplayName("a terminating endpoint that stops serving loses its UDP flows")
  void stopsServing() {
    var before = v4(snapshot(DNS, dnsSlice(false, true)));
    var after = v4(snapshot(DNS, dnsSlice(false, false)));
    List<StaleFlow> stale = StaleFlows.between(before, after);
    assertThat(stale).extracting(f -> f.endpoint().toString()).containsExactly("10.1.0.2");
  }
}
