package dev.kubeproxy.bin.server;

import dev.kubeproxy.bin.config.ConfigWriter;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.kube.NodeEvents;
import dev.kubeproxy.model.sync.ServiceProxy;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP servers of a running proxy: healthz, metrics (each off when its address is null;
 * retried every 5 s when it cannot bind, as upstream)
 * and one service-health server per healthCheckNodePort, where the committed tables say NodePorts
 * answer ({@code --nodeport-addresses} as resolved for the node; every address when unset).
 */
public final class Servers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Servers.class);
  /** Upstream retries a server that could not bind every 5 seconds. */
  static final Duration RETRY_DELAY = Duration.ofSeconds(5);

  private final ScheduledExecutorService retries =
      Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "server-bind-retry");
        thread.setDaemon(true);
        return thread;
      });
  private final Duration retryDelay;
  private volatile HealthzServer healthz;
  private volatile MetricsServer metrics;
  private volatile boolean nodeEligible = true;
  private volatile boolean closed;
  private ServiceHealthServers serviceHealth;

  private Servers(Duration retryDelay) {
    this.retryDelay = retryDelay;
  }

  public static Servers start(EffectiveConfig config, ServiceProxy proxy, ProxyMetrics proxyMetrics)
      throws IOException {
    return start(config, proxy, proxyMetrics, NodeEvents.NONE);
  }

  /**
   * As {@link #start(EffectiveConfig, ServiceProxy, ProxyMetrics)}, a server that cannot bind
   * also recorded as upstream's warning event.
   */
  public static Servers start(
      EffectiveConfig config, ServiceProxy proxy, ProxyMetrics proxyMetrics, NodeEvents events)
      throws IOException {
    return start(config, proxy, proxyMetrics, events, RETRY_DELAY);
  }

  /**
   * Starts the servers. A healthz or metrics server that cannot bind stops the start with
   * {@code bindAddressHardFail}; otherwise it is logged, recorded as an event, and retried every
   * {@code retryDelay} until it binds, as upstream.
   */
  static Servers start(EffectiveConfig config, ServiceProxy proxy, ProxyMetrics proxyMetrics,
      NodeEvents events, Duration retryDelay) throws IOException {
    Servers servers = new Servers(retryDelay);
    try {
      if (config.healthzBindAddress() != null) {
        servers.startOrRetry(config, "healthz", config.healthzBindAddress(), events,
            "FailedToStartProxierHealthcheck", () -> {
              HealthzServer started = HealthzServer.start(
                  config.healthzBindAddress(), proxy::status, config.syncPeriod(),
                  Clock.systemUTC(), proxyMetrics.registry(), config.proxy().families());
              started.nodeEligible(servers.nodeEligible);
              servers.healthz = started;
              return started;
            });
      }
      if (config.metricsBindAddress() != null) {
        servers.startOrRetry(config, "metrics", config.metricsBindAddress(), events,
            "FailedToStartMetricServer", () -> {
              MetricsServer started = MetricsServer.start(config.metricsBindAddress(),
                  config.mode().flagValue(), proxyMetrics, configz(config), proxy::healthy);
              servers.metrics = started;
              return started;
            });
      }
      servers.serviceHealth =
          ServiceHealthServers.following(
              tables -> HealthServerAddresses.bindAddresses(
                  tables.values(), HealthServerAddresses.localAddresses()),
              proxy::healthy);
      return servers;
    } catch (IOException | RuntimeException e) {
      servers.close();
      throw e;
    }
  }

  /** Starts one server; see {@link #start(EffectiveConfig, ServiceProxy, ProxyMetrics, NodeEvents, Duration)}. */
  private void startOrRetry(EffectiveConfig config, String server, Object address,
      NodeEvents events, String eventReason, ServerStart start) throws IOException {
    try {
      start.bind();
    } catch (IOException e) {
      if (config.bindAddressHardFail()) {
        throw new IOException(server + " server on " + address + ": " + e.getMessage(), e);
      }
      log.error("{} server failed to bind {}: {}; retrying every {} s (bindAddressHardFail is off)",
          server, address, e.getMessage(), retryDelay.toSeconds());
      events.record(NodeEvents.WARNING, eventReason, NodeEvents.START, e.getMessage());
      scheduleRetry(server, address, start);
    }
  }

  private void scheduleRetry(String server, Object address, ServerStart start) {
    retries.schedule(() -> {
      if (closed) {
        return;
      }
      try {
        AutoCloseable started = start.bind();
        if (closed) {
          closeQuietly(started);
        } else {
          log.info("{} server now bound to {}", server, address);
        }
      } catch (IOException | RuntimeException e) {
        log.debug("{} server still cannot bind {}: {}", server, address, e.getMessage());
        scheduleRetry(server, address, start);
      }
    }, retryDelay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Binds one server and publishes it. */
  private interface ServerStart {
    AutoCloseable bind() throws IOException;
  }

  /** The effective configuration as /configz serves it: v1alpha1 names without apiVersion/kind. */
  private static Map<String, Object> configz(EffectiveConfig config) {
    Map<String, Object> fields = new LinkedHashMap<>(ConfigWriter.toMap(config));
    fields.remove("apiVersion");
    fields.remove("kind");
    return fields;
  }

  /** Tells healthz whether the node may take traffic (no-op when healthz is off). */
  public void nodeEligible(boolean eligible) {
    nodeEligible = eligible;
    HealthzServer server = healthz;
    if (server != null) {
      server.nodeEligible(eligible);
    }
  }

  /** The health server, or null when it is off or has not bound (yet). */
  public HealthzServer healthz() {
    return healthz;
  }

  /** The metrics server, or null when it is off or has not bound (yet). */
  public MetricsServer metrics() {
    return metrics;
  }

  public ServiceHealthServers serviceHealth() {
    return serviceHealth;
  }

  @Override
  public void close() {
    closed = true;
    retries.shutdownNow();
    closeQuietly(serviceHealth);
    closeQuietly(metrics);
    closeQuietly(healthz);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      // Shutting down: nothing useful to do with a close failure.
    }
  }
}
