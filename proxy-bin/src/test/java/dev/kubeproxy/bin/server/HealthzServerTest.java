package dev.kubeproxy.bin.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.bin.config.HostPort;
import dev.kubeproxy.model.sync.SyncStatus;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HealthzServerTest {
  private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
  private static final Duration SYNC_PERIOD = Duration.ofSeconds(30);

  private final MutableClock clock = new MutableClock(T0);
  private final AtomicReference<SyncStatus> status = new AtomicReference<>(SyncStatus.INITIAL);
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private HealthzServer server;

  @BeforeEach
  void start() throws Exception {
    server = HealthzServer.start(HostPort.parse("127.0.0.1:0", 0), status::get, SYNC_PERIOD,
        clock, registry);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  @DisplayName("before the first sync /healthz is 200 with Go's zero time as lastUpdated and upstream's fields")
  void healthyBeforeFirstSync() {
    HttpResponse<String> r = Http.get(server.address(), "/healthz");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"lastUpdated\":\"0001-01-01T00:00:00Z\","
        + "\"currentTime\":\"2024-05-01T10:00:00Z\",\"nodeEligible\":true,\"healthy\":true}");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
  }

  @Test
  @DisplayName("/livez has the same fields except nodeEligible, and lastUpdated is the last successful sync")
  void livezBody() {
    status.set(new SyncStatus(null, T0.minusSeconds(5), true, 0));

    HttpResponse<String> r = Http.get(server.address(), "/livez");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"lastUpdated\":\"2024-05-01T09:59:55Z\","
        + "\"currentTime\":\"2024-05-01T10:00:00Z\",\"healthy\":true}");
  }

  @Test
  @DisplayName("a change queued just under 2 x syncPeriod ago is healthy; at exactly 2 x syncPeriod both paths answer 503")
  void twiceSyncPeriodBoundary() {
    status.set(new SyncStatus(T0, T0.minusSeconds(100), false, 0));

    clock.set(T0.plus(SYNC_PERIOD.multipliedBy(2)).minusNanos(1));
    assertThat(Http.get(server.address(), "/healthz").statusCode()).isEqualTo(200);
    assertThat(Http.get(server.address(), "/livez").statusCode()).isEqualTo(200);

    clock.set(T0.plus(SYNC_PERIOD.multipliedBy(2)));
    HttpResponse<String> healthz = Http.get(server.address(), "/healthz");
    HttpResponse<String> livez = Http.get(server.address(), "/livez");
    assertThat(healthz.statusCode()).isEqualTo(503);
    assertThat(healthz.body()).contains("\"healthy\":false").contains("\"nodeEligible\":true");
    assertThat(livez.statusCode()).isEqualTo(503);
    assertThat(livez.body()).contains("\"healthy\":false");

    // The sync applies the change: healthy again.
    status.set(new SyncStatus(null, clock.instant(), false, 0));
    assertThat(Http.get(server.address(), "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a Node being deleted or tainted for scale-down fails /healthz only, /livez stays 200")
  void nodeNotEligible() {
    server.nodeEligible(false);

    HttpResponse<String> healthz = Http.get(server.address(), "/healthz");
    HttpResponse<String> livez = Http.get(server.address(), "/livez");

    assertThat(healthz.statusCode()).isEqualTo(503);
    assertThat(healthz.body()).contains("\"nodeEligible\":false").contains("\"healthy\":true");
    assertThat(livez.statusCode()).isEqualTo(200);
    assertThat(livez.body()).doesNotContain("nodeEligible");

    server.nodeEligible(true);
    assertThat(Http.get(server.address(), "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("requests are counted in kubeproxy_proxy_healthz_total / livez_total by status code")
  void countsRequests() throws Exception {
    Http.get(server.address(), "/healthz");
    Http.get(server.address(), "/healthz");
    server.nodeEligible(false);
    Http.get(server.address(), "/healthz");
    Http.get(server.address(), "/livez");

    String text = exposition();
    assertThat(text)
        .contains("kubeproxy_proxy_healthz_total{code=\"200\"} 2.0\n")
        .contains("kubeproxy_proxy_healthz_total{code=\"503\"} 1.0\n")
        .contains("kubeproxy_proxy_livez_total{code=\"200\"} 1.0\n")
        .doesNotContain("kubeproxy_proxy_livez_total{code=\"503\"}");
  }

  @Test
  @DisplayName("other paths are 404 and not counted")
  void otherPaths() throws Exception {
    assertThat(Http.get(server.address(), "/metrics").statusCode()).isEqualTo(404);
    assertThat(Http.get(server.address(), "/healthzz").statusCode()).isEqualTo(404);
    assertThat(exposition()).doesNotContain("kubeproxy_proxy_healthz_total{");
  }

  @Test
  @DisplayName("closing the server frees its port")
  void closeFreesPort() {
    int port = server.address().getPort();
    assertThat(Http.canBind("127.0.0.1", port)).isFalse();

    server.close();

    assertThat(Http.canBind("127.0.0.1", port)).isTrue();
  }

  @Test
  @DisplayName("a bind failure leaves the registry usable for another attempt")
  void bindFailureUnregisters() throws Exception {
    HostPort taken = HostPort.parse("127.0.0.1:" + server.address().getPort(), 0);
    PrometheusRegistry other = new PrometheusRegistry();

    assertThatThrownBy(() -> HealthzServer.start(
        taken, status::get, SYNC_PERIOD, Clock.systemUTC(), other))
        .isInstanceOf(IOException.class);

    try (HealthzServer retry = HealthzServer.start(HostPort.parse("127.0.0.1:0", 0), status::get,
        SYNC_PERIOD, Clock.systemUTC(), other)) {
      assertThat(Http.get(retry.address(), "/livez").statusCode()).isEqualTo(200);
    }
  }

  private String exposition() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new PrometheusTextFormatWriter(false)
        .write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("a dual-stack proxy's /healthz carries upstream's per-family status, each family with the sync's lastUpdated and health")
  void perFamilyStatus() throws Exception {
    status.set(new SyncStatus(T0, T0.minusSeconds(100), false, 0));
    clock.set(T0.plus(SYNC_PERIOD.multipliedBy(2)));
    try (HealthzServer dual = HealthzServer.start(HostPort.parse("127.0.0.1:0", 0), status::get,
        SYNC_PERIOD, clock, new PrometheusRegistry(),
        java.util.List.of(dev.kubeproxy.api.IpFamily.V6, dev.kubeproxy.api.IpFamily.V4))) {
      HttpResponse<String> r = Http.get(dual.address(), "/healthz");

      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).endsWith(",\"healthy\":false,\"status\":{"
          + "\"IPv4\":{\"lastUpdated\":\"2024-05-01T09:58:20Z\",\"healthy\":false},"
          + "\"IPv6\":{\"lastUpdated\":\"2024-05-01T09:58:20Z\",\"healthy\":false}}}");
    }
  }
}
