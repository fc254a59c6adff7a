package dev.kubeproxy.bin.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.BackendStats;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProxyMetricsBackendStatsTest {
  private static final String FAILURES = "kubeproxy_sync_proxy_rules_iptables_restore_failures_total";
  private static final String RULES = "kubeproxy_sync_proxy_rules_iptables_total";

  private static BackendStats.Metric metric(String name, BackendStats.Type type) {
    return new BackendStats.Metric(name, "help", type, ImmutableList.of(
        new BackendStats.Sample(ImmutableMap.of("ip_family", "IPv4"), 3)));
  }

  @Test
  @DisplayName("in iptables mode a backend metric the binary already exports appears once per scrape; the others are added")
  void backendMetricsNeverDuplicateTheBinarysOwn() throws Exception {
    ProxyMetrics metrics = ProxyMetrics.create("iptables", Set.of(IpFamily.V4));
    metrics.backendStats(() -> ImmutableList.of(
        metric(FAILURES, BackendStats.Type.COUNTER), metric(RULES, BackendStats.Type.GAUGE)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    metrics.writeTextFormat(out);
    String text = out.toString(StandardCharsets.UTF_8);

    assertThat(text.split("# TYPE " + FAILURES + " ", -1)).hasSize(2);
    assertThat(text).contains("# TYPE " + RULES + " gauge").contains(RULES + "{ip_family=\"IPv4\"} 3");
  }
}
