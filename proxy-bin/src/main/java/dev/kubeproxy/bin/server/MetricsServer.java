package dev.kubeproxy.bin.server;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.sun.net.httpserver.HttpExchange;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.bin.config.HostPort;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The metrics server (upstream's 127.0.0.1:10249): {@code /metrics} in the Prometheus text
 * format, {@code /proxyMode} with the mode's name as plain text, {@code /healthz} with "ok",
 * and in userspace mode {@code /userspace/addresses}: where each service port listens, as JSON.
 * {@code /configz} with the effective configuration as JSON under
 * {@code kubeproxy.config.k8s.io} (when given one), and {@code /metrics/slis} with the proxy's
 * health check as component-base's {@code kubernetes_healthcheck} metrics. Other paths get 404.
 */
public final class MetricsServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 10249;
  /** Upstream's default bind address, {@code 127.0.0.1:10249}: metrics stay on loopback. */
  public static final HostPort DEFAULT_ADDRESS = new HostPort(IpAddress.parse("127.0.0.1"), DEFAULT_PORT);

  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String JSON = "application/json";
  private static final Gson GSON = new GsonBuilder().serializeNulls().create();
  private static final ImmutableMap<String, String> NOSNIFF =
      ImmutableMap.of("X-Content-Type-Options", "nosniff");

  private final String proxyMode;
  private final ProxyMetrics metrics;
  private final Map<String, Object> configz;
  private final BooleanSupplier healthy;
  private final AtomicLong healthChecksPassed = new AtomicLong();
  private final AtomicLong healthChecksFailed = new AtomicLong();
  private final HttpEndpoint endpoint;

  private MetricsServer(HostPort address, String proxyMode, ProxyMetrics metrics,
      Map<String, Object> configz, BooleanSupplier healthy) throws IOException {
    checkArgument(proxyMode != null && !proxyMode.isEmpty(), "proxyMode must be set");
    this.proxyMode = proxyMode;
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.configz = configz;
    this.healthy = Objects.requireNonNull(healthy, "healthy");
    this.endpoint = HttpEndpoint.start(
        new InetSocketAddress(address.address().toInetAddress(), address.port()),
        "metrics", this::handle);
  }

  /** Starts serving {@code metrics} on {@code address}; {@code proxyMode} is e.g. "nftables". */
  public static MetricsServer start(HostPort address, String proxyMode, ProxyMetrics metrics)
      throws IOException {
    return new MetricsServer(address, proxyMode, metrics, null, () -> true);
  }

  /**
   * As {@link #start(HostPort, String, ProxyMetrics)}, also serving {@code configz} (the
   * effective configuration in v1alpha1 field names) and the health check {@code healthy}.
   */
  public static MetricsServer start(HostPort address, String proxyMode, ProxyMetrics metrics,
      Map<String, Object> configz, BooleanSupplier healthy) throws IOException {
    return new MetricsServer(address, proxyMode, metrics, Objects.requireNonNull(configz), healthy);
  }

  /** The bound address (with the chosen port when started with port 0). */
  public InetSocketAddress address() {
    return endpoint.address();
  }

  private void handle(HttpExchange exchange) throws IOException {
    switch (exchange.getRequestURI().getPath()) {
      case "/metrics" -> {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        metrics.writeTextFormat(text);
        HttpEndpoint.respond(exchange, 200, ProxyMetrics.CONTENT_TYPE,
            text.toString(StandardCharsets.UTF_8), ImmutableMap.of());
      }
      case "/proxyMode" -> HttpEndpoint.respond(exchange, 200, TEXT, proxyMode, NOSNIFF);
      case "/healthz" -> HttpEndpoint.respond(exchange, 200, TEXT, "ok", NOSNIFF);
      case "/userspace/addresses" -> {
        Optional<String> json = metrics.userspaceAddressesJson();
        if (json.isPresent()) {
          HttpEndpoint.respond(exchange, 200, JSON, json.get(), NOSNIFF);
        } else {
          HttpEndpoint.respond(exchange, 404, TEXT, "404 page not found\n", NOSNIFF);
        }
      }
      case "/configz" -> {
        if (configz == null) {
          HttpEndpoint.respond(exchange, 404, TEXT, "404 page not found\n", NOSNIFF);
        } else {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("kubeproxy.config.k8s.io", configz);
          HttpEndpoint.respond(exchange, 200, "application/json", GSON.toJson(body), NOSNIFF);
        }
      }
      case "/metrics/slis" -> HttpEndpoint.respond(exchange, 200, ProxyMetrics.CONTENT_TYPE, slis(), ImmutableMap.of());
      default -> HttpEndpoint.respond(exchange, 404, TEXT, "404 page not found\n", NOSNIFF);
    }
  }

  /** component-base's SLI metrics for the one health check here, evaluated now. */
  private String slis() {
    boolean ok = healthy.getAsBoolean();
    (ok ? healthChecksPassed : healthChecksFailed).incrementAndGet();
    return "# HELP kubernetes_healthcheck [STABLE] This metric records the result of a single healthcheck.\n"
        + "# TYPE kubernetes_healthcheck gauge\n"
        + "kubernetes_healthcheck{name=\"proxy\",type=\"healthz\"} " + (ok ? 1 : 0) + "\n"
        + "# HELP kubernetes_healthchecks_total [STABLE] This metric records the results of all healthcheck.\n"
        + "# TYPE kubernetes_healthchecks_total counter\n"
        + "kubernetes_healthchecks_total{name=\"proxy\",status=\"error\",type=\"healthz\"} " + healthChecksFailed.get() + "\n"
        + "kubernetes_healthchecks_total{name=\"proxy\",status=\"success\",type=\"healthz\"} " + healthChecksPassed.get() + "\n";
  }

  @Override
  public void close() {
    endpoint.close();
  }
}
