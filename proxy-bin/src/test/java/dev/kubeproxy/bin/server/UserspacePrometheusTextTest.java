package dev.kubeproxy.bin.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.userspace.ServicePortStats;
import org.junit.jupiter.api.Test;

/** The userspace counters in the Prometheus text format. */
class UserspacePrometheusTextTest {
  @Test
  void eachCounterIsAFamilyWithASamplePerServicePort() {
    String text = UserspacePrometheusText.render(ImmutableMap.of(
        ServicePortKey.of("default", "web", "http", Protocol.TCP), new ServicePortStats(2, 7, 100, 2000, 1, 3)));

    String labels = "{namespace=\"default\",service=\"web\",port=\"http\",protocol=\"TCP\"}";
    assertThat(text)
        .contains("# TYPE kubeproxy_userspace_connections_active gauge\n")
        .contains("kubeproxy_userspace_connections_active" + labels + " 2\n")
        .contains("# TYPE kubeproxy_userspace_connections_total counter\n")
        .contains("kubeproxy_userspace_connections_total" + labels + " 7\n")
        .contains("kubeproxy_userspace_received_bytes_total" + labels + " 100\n")
        .contains("kubeproxy_userspace_sent_bytes_total" + labels + " 2000\n")
        .contains("kubeproxy_userspace_dial_failures_total" + labels + " 1\n")
        .contains("kubeproxy_userspace_dial_retries_total" + labels + " 3\n");
  }

  @Test
  void noServicePortsLeavesTheFamiliesEmpty() {
    String text = UserspacePrometheusText.render(ImmutableMap.of());

    assertThat(text).contains("# TYPE kubeproxy_userspace_connections_total counter\n")
        .doesNotContain("{");
  }
}
