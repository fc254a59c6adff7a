package dev.kubeproxy.bin.server;

import static dev.kubeproxy.bin.server.Tables.entry;
import static dev.kubeproxy.bin.server.Tables.ep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.bin.config.HostPort;
import dev.kubeproxy.model.sync.SyncEvent;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

  private final MutableClock clock = new MutableClock(T0);
  private final ProxyMetrics metrics = new ProxyMetrics(new PrometheusRegistry(), clock);
  private MetricsServer server;

  @BeforeEach
  void start() throws Exception {
    server = MetricsServer.start(HostPort.parse("127.0.0.1:0", 0), "nftables", metrics);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  @DisplayName("/proxyMode answers the mode as plain text and /healthz answers ok; other paths 404")
  void proxyModeAndHealthz() {
    HttpResponse<String> mode = Http.get(server.address(), "/proxyMode");
    HttpResponse<String> healthz = Http.get(server.address(), "/healthz");

    assertThat(mode.statusCode()).isEqualTo(200);
    assertThat(mode.body()).isEqualTo("nftables");
    assertThat(mode.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    assertThat(healthz.statusCode()).isEqualTo(200);
    assertThat(healthz.body()).isEqualTo("ok");
    assertThat(Http.get(server.address(), "/configz").statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("/metrics also publishes the backend's own metrics (iptables rule counts) as it holds them at scrape time")
  void publishesBackendStats() {
    double[] rules = {7};
    metrics.backendStats(() -> com.google.common.collect.ImmutableList.of(
        new dev.kubeproxy.api.backend.BackendStats.Metric(
            "kubeproxy_sync_proxy_rules_iptables_total", "Total number of iptables rules owned by kube-proxy",
            dev.kubeproxy.api.backend.BackendStats.Type.GAUGE,
            com.google.common.collect.ImmutableList.of(new dev.kubeproxy.api.backend.BackendStats.Sample(
                com.google.common.collect.ImmutableMap.of("ip_family", "IPv4", "table", "nat"), rules[0])))));
    assertThat(Http.get(server.address(), "/metrics").body())
        .contains("# TYPE kubeproxy_sync_proxy_rules_iptables_total gauge\n"
            + "kubeproxy_sync_proxy_rules_iptables_total{ip_family=\"IPv4\",table=\"nat\"} 7\n");
    rules[0] = 9;
    assertThat(Http.get(server.address(), "/metrics").body())
        .contains("kubeproxy_sync_proxy_rules_iptables_total{ip_family=\"IPv4\",table=\"nat\"} 9\n");
  }

  @Test
  @DisplayName("/metrics exposes upstream's kubeproxy_* names in the text format, with ip_family where upstream has it, upstream's buckets, and finer kubeproxyjava_* histograms from a 1 ms bucket")
  void exposesUpstreamNames() {
    HttpResponse<String> r = Http.get(server.address(), "/metrics");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
    assertThat(r.body())
        .contains("# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram")
        // The finer histograms moved to kubeproxyjava_*; upstream's names have upstream's buckets.
        .contains("kubeproxyjava_sync_proxy_rules_duration_seconds_bucket{le=\"0.001\"} 0")
        .contains("kubeproxyjava_sync_full_proxy_rules_duration_seconds_bucket{le=\"0.001\"} 0")
        .contains("kubeproxyjava_sync_partial_proxy_rules_duration_seconds_bucket{le=\"0.001\"} 0")
        .contains("kubeproxyjava_network_programming_duration_seconds_bucket{le=\"0.001\"} 0")
        .contains("# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge")
        .contains("# TYPE kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds gauge")
        .contains("# TYPE kubeproxy_sync_proxy_rules_service_changes_total counter")
        .contains("kubeproxy_sync_proxy_rules_service_changes_total 0.0")
        .contains("kubeproxy_sync_proxy_rules_endpoint_changes_total 0.0")
        .contains("# TYPE kubeproxy_sync_proxy_rules_service_changes_pending gauge")
        .contains("# TYPE kubeproxy_sync_proxy_rules_endpoint_changes_pending gauge")
        .contains("kubeproxy_sync_proxy_rules_nftables_sync_failures_total{ip_family=\"IPv4\"} 0.0")
        .contains("kubeproxy_sync_proxy_rules_nftables_cleanup_failures_total{ip_family=\"IPv4\"} 0.0")
        .contains("kubeproxy_conntrack_reconciler_deleted_entries_total{ip_family=\"IPv4\"} 0.0")
        .contains("# TYPE kubeproxy_conntrack_reconciler_sync_duration_seconds histogram")
        .contains("kubeproxy_conntrack_reconciler_sync_duration_seconds_count{ip_family=\"IPv4\"} 0")
        .contains("kubernetes_build_info{")
        .contains("# TYPE process_cpu_seconds_total counter")
        .contains("# TYPE process_resident_memory_bytes gauge")
        .contains("process_open_fds ")
        .contains("jvm_memory_used_bytes{area=\"heap\"}")
        .contains("# TYPE kubeproxy_sync_proxy_rules_no_local_endpoints_total gauge")
        .contains("kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"} 0")
        .contains("kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"external\"} 0");
  }

  @Test
  @DisplayName("a successful full sync of 3 ms lands in the full and overall histograms between 2.5 and 5 ms and adds its events")
  void successfulSync() {
    Instant start = T0.plusSeconds(10);
    metrics.onSync(new SyncEvent(start, Duration.ofMillis(3), true, new SyncResult(12, 400), null,
        3, 5, 2, Duration.ofMillis(40), 0));

    String text = Http.get(server.address(), "/metrics").body();

    assertThat(sample(text, "kubeproxyjava_sync_proxy_rules_duration_seconds_bucket{le=\"0.0025\"}")).isEqualTo(0);
    assertThat(sample(text, "kubeproxyjava_sync_proxy_rules_duration_seconds_bucket{le=\"0.005\"}")).isEqualTo(1);
    assertThat(sample(text, "kubeproxyjava_sync_full_proxy_rules_duration_seconds_count")).isEqualTo(1);
    assertThat(sample(text, "kubeproxyjava_sync_partial_proxy_rules_duration_seconds_count")).isEqualTo(0);
    assertThat(sample(text, "kubeproxyjava_network_programming_duration_seconds_bucket{le=\"0.025\"}")).isEqualTo(0);
    assertThat(sample(text, "kubeproxyjava_network_programming_duration_seconds_bucket{le=\"0.05\"}")).isEqualTo(1);
    // Upstream's buckets (1 ms doubling; network programming from 0, 0.25 s), labelled by family.
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family=\"IPv4\",le=\"0.002\"}")).isEqualTo(0);
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family=\"IPv4\",le=\"0.004\"}")).isEqualTo(1);
    assertThat(sample(text, "kubeproxy_sync_full_proxy_rules_duration_seconds_count{ip_family=\"IPv4\"}")).isEqualTo(1);
    assertThat(sample(text, "kubeproxy_sync_partial_proxy_rules_duration_seconds_count{ip_family=\"IPv4\"}")).isEqualTo(0);
    assertThat(sample(text, "kubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"0.0\"}")).isEqualTo(0);
    assertThat(sample(text, "kubeproxy_network_programming_duration_seconds_bucket{ip_family=\"IPv4\",le=\"0.25\"}")).isEqualTo(1);
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_service_changes_total")).isEqualTo(3);
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_endpoint_changes_total")).isEqualTo(5);
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family=\"IPv4\"}"))
        .isCloseTo(start.getEpochSecond() + 0.003, offset(1e-6));
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total{ip_family=\"IPv4\"}")).isEqualTo(0);
  }

  @Test
  @DisplayName("a failed partial sync counts a failure, leaves totals and last-sync time alone and shows its events as pending until a success")
  void failedSyncThenSuccess() {
    metrics.onSync(new SyncEvent(T0, Duration.ofMillis(1), false, null,
        new IllegalStateException("nft failed"), 2, 7, 2, null, 0));

    String failed = Http.get(server.address(), "/metrics").body();
    assertThat(sample(failed, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total{ip_family=\"IPv4\"}")).isEqualTo(1);
    assertThat(sample(failed, "kubeproxy_sync_partial_proxy_rules_duration_seconds_count{ip_family=\"IPv4\"}")).isEqualTo(1);
    assertThat(sample(failed, "kubeproxyjava_sync_partial_proxy_rules_duration_seconds_count")).isEqualTo(1);
    assertThat(sample(failed, "kubeproxy_sync_proxy_rules_service_changes_total")).isEqualTo(0);
    assertThat(sample(failed, "kubeproxy_sync_proxy_rules_service_changes_pending")).isEqualTo(2);
    assertThat(sample(failed, "kubeproxy_sync_proxy_rules_endpoint_changes_pending")).isEqualTo(7);
    assertThat(sample(failed, "kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family=\"IPv4\"}")).isEqualTo(0);

    // The retry is full and carries the failed attempt's events.
    metrics.onSync(new SyncEvent(T0.plusSeconds(1), Duration.ofMillis(1), true, SyncResult.NOTHING,
        null, 2, 7, 2, Duration.ofSeconds(1), 0));

    String ok = Http.get(server.address(), "/metrics").body();
    assertThat(sample(ok, "kubeproxy_sync_proxy_rules_service_changes_total")).isEqualTo(2);
    assertThat(sample(ok, "kubeproxy_sync_proxy_rules_endpoint_changes_total")).isEqualTo(7);
    assertThat(sample(ok, "kubeproxy_sync_proxy_rules_service_changes_pending")).isEqualTo(0);
    assertThat(sample(ok, "kubeproxy_sync_proxy_rules_endpoint_changes_pending")).isEqualTo(0);
    assertThat(sample(ok, "kubeproxy_sync_proxy_rules_duration_seconds_count{ip_family=\"IPv4\"}")).isEqualTo(2);
    assertThat(sample(ok, "kubeproxyjava_sync_proxy_rules_duration_seconds_count")).isEqualTo(2);
  }

  @Test
  @DisplayName("changeQueued stamps the last-queued gauge with the clock; conntrack deletions and"
      + " reconcile durations add up in upstream's buckets")
  void queuedAndConntrack() {
    clock.set(T0.plusMillis(1500));
    metrics.changeQueued();
    metrics.conntrackEntriesDeleted(IpFamily.V4, 4);
    metrics.conntrackEntriesDeleted(IpFamily.V4, 1);
    metrics.conntrackReconciled(IpFamily.V4, Duration.ofMillis(3));
    metrics.conntrackReconciled(IpFamily.V4, Duration.ofMillis(20));

    String text = Http.get(server.address(), "/metrics").body();

    assertThat(sample(text, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds"))
        .isCloseTo(T0.getEpochSecond() + 1.5, offset(1e-6));
    assertThat(sample(text, "kubeproxy_conntrack_reconciler_deleted_entries_total{ip_family=\"IPv4\"}")).isEqualTo(5);
    String duration = "kubeproxy_conntrack_reconciler_sync_duration_seconds";
    assertThat(sample(text, duration + "_count{ip_family=\"IPv4\"}")).isEqualTo(2);
    assertThat(sample(text, duration + "_sum{ip_family=\"IPv4\"}")).isCloseTo(0.023, offset(1e-9));
    // 1 ms doubling: 3 ms is in le=0.004, 20 ms only from le=0.032; the largest bound is 16.384.
    assertThat(sample(text, duration + "_bucket{ip_family=\"IPv4\",le=\"0.002\"}")).isEqualTo(0);
    assertThat(sample(text, duration + "_bucket{ip_family=\"IPv4\",le=\"0.004\"}")).isEqualTo(1);
    assertThat(sample(text, duration + "_bucket{ip_family=\"IPv4\",le=\"0.016\"}")).isEqualTo(1);
    assertThat(sample(text, duration + "_bucket{ip_family=\"IPv4\",le=\"0.032\"}")).isEqualTo(2);
    assertThat(text).contains(duration + "_bucket{ip_family=\"IPv4\",le=\"16.384\"} 2");
  }

  @Test
  @DisplayName("the _pending gauges show the events queued since the last sync")
  void pendingBetweenSyncs() {
    metrics.changeQueued(3, 5);

    String queued = Http.get(server.address(), "/metrics").body();
    assertThat(sample(queued, "kubeproxy_sync_proxy_rules_service_changes_pending")).isEqualTo(3);
    assertThat(sample(queued, "kubeproxy_sync_proxy_rules_endpoint_changes_pending")).isEqualTo(5);
  }

  @Test
  @DisplayName("no_local_endpoints_total follows a sync's changed keys only: a service that gains a local endpoint leaves the count")
  void noLocalEndpointsIncremental() {
    var lbEntry = entry("ns", "lb", "http", IpFamily.V4, 31000, false, true, List.of(),
        List.of(ep("10.0.0.1", 80, false, false)));
    var itp = entry("ns", "itp", "", IpFamily.V4, 0, true, false,
        List.of(ep("10.0.0.2", 80, false, false)), List.of(ep("10.0.0.2", 80, false, false)));
    metrics.update(Tables.tables(lbEntry, itp));
    var fixed = entry("ns", "lb", "http", IpFamily.V4, 31000, false, true,
        List.of(ep("10.0.0.5", 80, true, false)), List.of(ep("10.0.0.5", 80, true, false)));

    metrics.update(Tables.tables(fixed, itp), Map.of(IpFamily.V4, java.util.Set.of(fixed.key())));

    String text = Http.get(server.address(), "/metrics").body();
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"}"))
        .isEqualTo(1);
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"external\"}"))
        .isEqualTo(0);
  }

  @Test
  @DisplayName("no_local_endpoints_total counts service ports with a Local policy and no endpoints for it, once across families")
  void noLocalEndpoints() {
    metrics.update(Tables.tables(
        // eTP Local, no local endpoint, in both families: one external count.
        entry("ns", "lb", "http", IpFamily.V4, 31000, false, true, List.of(),
            List.of(ep("10.0.0.1", 80, false, false))),
        entry("ns", "lb", "http", IpFamily.V6, 31000, false, true, List.of(),
            List.of(ep("fd00::1", 80, false, false))),
        // iTP Local, no local endpoint: one internal count.
        entry("ns", "itp", "", IpFamily.V4, 0, true, false,
            List.of(ep("10.0.0.2", 80, false, false)), List.of(ep("10.0.0.2", 80, false, false))),
        // eTP Local with a local endpoint: not counted.
        entry("ns", "ok", "", IpFamily.V4, 31001, false, true,
            List.of(ep("10.0.0.3", 80, true, false)), List.of(ep("10.0.0.3", 80, true, false)))));

    String text = Http.get(server.address(), "/metrics").body();

    assertThat(sample(text, "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"}"))
        .isEqualTo(1);
    assertThat(sample(text, "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"external\"}"))
        .isEqualTo(1);
  }

  @Test
  @DisplayName("closing the server frees its port")
  void closeFreesPort() {
    int port = server.address().getPort();
    server.close();
    assertThat(Http.canBind("127.0.0.1", port)).isTrue();
  }

  /** The value of the sample line starting with {@code series} followed by a space. */
  @Test
  @DisplayName("a dual-stack iptables proxy records each sync under both families, with iptables' failure counters (partial restore failures for failed partial syncs)")
  void dualStackIptables() {
    ProxyMetrics ipt = new ProxyMetrics(new PrometheusRegistry(), clock, "iptables",
        java.util.Set.of(IpFamily.V6, IpFamily.V4));
    ipt.onSync(new SyncEvent(T0, Duration.ofMillis(3), false, null,
        new IllegalStateException("restore failed"), 1, 1, 1, null, 0));
    ipt.onSync(new SyncEvent(T0, Duration.ofMillis(3), true, null,
        new IllegalStateException("restore failed"), 1, 1, 1, null, 0));
    ipt.conntrackEntriesDeleted(IpFamily.V6, 2);

    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      ipt.writeTextFormat(out);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);

    for (String family : List.of("IPv4", "IPv6")) {
      String label = "{ip_family=\"" + family + "\"}";
      assertThat(sample(text, "kubeproxy_sync_proxy_rules_iptables_restore_failures_total" + label)).isEqualTo(2);
      assertThat(sample(text, "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total" + label)).isEqualTo(1);
      assertThat(sample(text, "kubeproxy_sync_proxy_rules_duration_seconds_count" + label)).isEqualTo(2);
    }
    assertThat(sample(text, "kubeproxy_conntrack_reconciler_deleted_entries_total{ip_family=\"IPv6\"}")).isEqualTo(2);
    assertThat(sample(text, "kubeproxy_conntrack_reconciler_deleted_entries_total{ip_family=\"IPv4\"}")).isEqualTo(0);
    assertThat(text).doesNotContain("nftables_sync_failures_total");
  }

  @Test
  @DisplayName("/configz serves the effective configuration under kubeproxy.config.k8s.io; /metrics/slis the proxy's health check")
  void configzAndSlis() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean healthy = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.Map<String, Object> config = new java.util.LinkedHashMap<>();
    config.put("mode", "nftables");
    config.put("nodePortAddresses", List.of("primary"));
    try (MetricsServer full = MetricsServer.start(HostPort.parse("127.0.0.1:0", 0), "nftables",
        new ProxyMetrics(new PrometheusRegistry(), clock), config, healthy::get)) {
      HttpResponse<String> configz = Http.get(full.address(), "/configz");
      assertThat(configz.statusCode()).isEqualTo(200);
      assertThat(configz.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(configz.body())
          .isEqualTo("{\"kubeproxy.config.k8s.io\":{\"mode\":\"nftables\",\"nodePortAddresses\":[\"primary\"]}}");

      String ok = Http.get(full.address(), "/metrics/slis").body();
      healthy.set(false);
      String bad = Http.get(full.address(), "/metrics/slis").body();
      assertThat(sample(ok, "kubernetes_healthcheck{name=\"proxy\",type=\"healthz\"}")).isEqualTo(1);
      assertThat(sample(bad, "kubernetes_healthcheck{name=\"proxy\",type=\"healthz\"}")).isEqualTo(0);
      assertThat(sample(bad, "kubernetes_healthchecks_total{name=\"proxy\",status=\"success\",type=\"healthz\"}")).isEqualTo(1);
      assertThat(sample(bad, "kubernetes_healthchecks_total{name=\"proxy\",status=\"error\",type=\"healthz\"}")).isEqualTo(1);
    }
  }

  private static double sample(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no sample " + series + " in:\n" + text);
  }
}
