package dev.kubeproxy.bin.server;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.sun.net.httpserver.HttpExchange;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.bin.config.HostPort;
import dev.kubeproxy.model.sync.SyncStatus;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The proxy's health server (upstream's 10256): {@code /healthz} and {@code /livez} answer
 * JSON, 200 when healthy and 503 when a queued change has not been applied within
 * 2 x syncPeriod; {@code /healthz} also fails while the Node is not eligible (being deleted or
 * tainted ToBeDeletedByClusterAutoscaler). Other paths get 404.
 */
public final class HealthzServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 10256;
  /** Upstream's default bind address, {@code 0.0.0.0:10256}. */
  public static final HostPort DEFAULT_ADDRESS = new HostPort(IpAddress.parse("0.0.0.0"), DEFAULT_PORT);

  // What Go prints for a zero time.Time: upstream's lastUpdated before the first sync.
  private static final String NEVER = "0001-01-01T00:00:00Z";

  private final Supplier<SyncStatus> status;
  private final ImmutableList<IpFamily> families;
  private final Duration syncPeriod;
  private final Clock clock;
  private final Counter healthzTotal;
  private final Counter livezTotal;
  private volatile boolean nodeEligible = true;
  private HttpEndpoint endpoint;

  private HealthzServer(Supplier<SyncStatus> status, Duration syncPeriod, Clock clock,
      PrometheusRegistry registry, Collection<IpFamily> families) {
    this.status = Objects.requireNonNull(status, "status");
    this.families = families.stream().sorted().collect(ImmutableList.toImmutableList());
    this.syncPeriod = Objects.requireNonNull(syncPeriod, "syncPeriod");
    checkArgument(!syncPeriod.isNegative() && !syncPeriod.isZero(), "syncPeriod must be positive");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.healthzTotal = Counter.builder()
        .name("kubeproxy_proxy_healthz_total")
        .help("Cumulative proxy healthz HTTP status")
        .labelNames("code")
        .register(registry);
    this.livezTotal = Counter.builder()
        .name("kubeproxy_proxy_livez_total")
        .help("Cumulative proxy livez HTTP status")
        .labelNames("code")
        .register(registry);
  }

  /**
   * Starts serving on {@code address}. {@code status} is read on every request (e.g.
   * {@code serviceProxy::status}); {@code clock} gives "now" for the 2 x {@code syncPeriod}
   * rule; the request counters are registered in {@code registry}. The Node starts eligible.
   */
  public static HealthzServer start(HostPort address, Supplier<SyncStatus> status,
      Duration syncPeriod, Clock clock, PrometheusRegistry registry) throws IOException {
    return start(address, status, syncPeriod, clock, registry, List.of());
  }

  /**
   * As {@link #start(HostPort, Supplier, Duration, Clock, PrometheusRegistry)}, the body also
   * carrying upstream's per-family {@code status} ({@code {"IPv4":{"lastUpdated":..,"healthy":..}}})
   * for {@code families}; one sync here serves every family, so they share one status.
   */
  public static HealthzServer start(HostPort address, Supplier<SyncStatus> status,
      Duration syncPeriod, Clock clock, PrometheusRegistry registry, Collection<IpFamily> families)
      throws IOException {
    HealthzServer server = new HealthzServer(status, syncPeriod, clock, registry, families);
    try {
      server.endpoint = HttpEndpoint.start(
          new InetSocketAddress(address.address().toInetAddress(), address.port()),
          "healthz", server::handle);
    } catch (IOException e) {
      // Leave the registry as it was, so a later attempt can register the counters again.
      registry.unregister(server.healthzTotal);
      registry.unregister(server.livezTotal);
      throw e;
    }
    return server;
  }

  /** Whether the Node may take traffic: false while it is being deleted or tainted for scale-down. */
  public void nodeEligible(boolean eligible) {
    this.nodeEligible = eligible;
  }

  /** The bound address (with the chosen port when started with port 0). */
  public InetSocketAddress address() {
    return endpoint.address();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    boolean healthz = path.equals("/healthz");
    if (!healthz && !path.equals("/livez")) {
      HttpEndpoint.respond(exchange, 404, "text/plain; charset=utf-8", "404 page not found\n",
          ImmutableMap.of());
      return;
    }
    Instant now = clock.instant();
    SyncStatus s = status.get();
    boolean healthy = s.healthy(now, syncPeriod);
    boolean eligible = nodeEligible;
    int code = healthy && (!healthz || eligible) ? 200 : 503;
    String lastUpdated =
        Json.quote(s.lastSuccessfulSync() == null ? NEVER : s.lastSuccessfulSync().toString());
    StringBuilder body = new StringBuilder()
        .append("{\"lastUpdated\":").append(lastUpdated)
        .append(",\"currentTime\":").append(Json.quote(now.toString()));
    if (healthz) {
      body.append(",\"nodeEligible\":").append(eligible);
    }
    body.append(",\"healthy\":").append(healthy);
    if (!families.isEmpty()) {
      body.append(",\"status\":{");
      for (int i = 0; i < families.size(); i++) {
        body.append(i == 0 ? "" : ",").append(Json.quote(families.get(i) == IpFamily.V4 ? "IPv4" : "IPv6"))
            .append(":{\"lastUpdated\":").append(lastUpdated)
            .append(",\"healthy\":").append(healthy).append('}');
      }
      body.append('}');
    }
    body.append('}');
    (healthz ? healthzTotal : livezTotal).labelValues(Integer.toString(code)).inc();
    HttpEndpoint.respond(exchange, code, "application/json", body.toString(),
        ImmutableMap.of("X-Content-Type-Options", "nosniff"));
  }

  @Override
  public void close() {
    endpoint.close();
  }
}
