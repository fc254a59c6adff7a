package dev.kubeproxy.bin.server;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import com.sun.net.httpserver.HttpExchange;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.bin.config.HostPort;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * The metrics server (upstream's 127.0.0.1:10249): {@code /metrics} in the Prometheus text
 * format, {@code /proxyMode} with the mode's name as plain text, {@code /healthz} with "ok",
 * and in userspace mode {@code /userspace/addresses}: where each service port listens, as JSON.
 * Other paths get 404.
 */
public final class MetricsServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 10249;
  /** Upstream's default bind address, {@code 127.0.0.1:10249}: metrics stay on loopback. */
  public static final HostPort DEFAULT_ADDRESS = new HostPort(IpAddress.parse("127.0.0.1"), DEFAULT_PORT);

  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String JSON = "application/json";
  private static final ImmutableMap<String, String> NOSNIFF =
      ImmutableMap.of("X-Content-Type-Options", "nosniff");

  private final String proxyMode;
  private final ProxyMetrics metrics;
  private final HttpEndpoint endpoint;

  private MetricsServer(HostPort address, String proxyMode, ProxyMetrics metrics) throws IOException {
    checkArgument(proxyMode != null && !proxyMode.isEmpty(), "proxyMode must be set");
    this.proxyMode = proxyMode;
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.endpoint = HttpEndpoint.start(
        new InetSocketAddress(address.address().toInetAddress(), address.port()),
        "metrics", this::handle);
  }

  /** Starts serving {@code metrics} on {@code address}; {@code proxyMode} is e.g. "nftables". */
  public static MetricsServer start(HostPort address, String proxyMode, ProxyMetrics metrics)
      throws IOException {
    return new MetricsServer(address, proxyMode, metrics);
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
      default -> HttpEndpoint.respond(exchange, 404, TEXT, "404 page not found\n", NOSNIFF);
    }
  }

  @Override
  public void close() {
    endpoint.close();
  }
}
