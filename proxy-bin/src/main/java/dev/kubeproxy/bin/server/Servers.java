package dev.kubeproxy.bin.server;

import dev.kubeproxy.bin.config.ConfigWriter;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.kube.NodeEvents;
import dev.kubeproxy.model.sync.ServiceProxy;
import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP servers of a running proxy: healthz, metrics (each off when its address is null)
 * and one service-health server per healthCheckNodePort, where the committed tables say NodePorts
 * answer ({@code --nodeport-addresses} as resolved for the node; every address when unset).
 */
public final class Servers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Servers.class);
  private final HealthzServer healthz;
  private final MetricsServer metrics;
  private final ServiceHealthServers serviceHealth;

  private Servers(HealthzServer healthz, MetricsServer metrics, ServiceHealthServers serviceHealth) {
    this.healthz = healthz;
    this.metrics = metrics;
    this.serviceHealth = serviceHealth;
  }

  public static Servers start(EffectiveConfig config, ServiceProxy proxy, ProxyMetrics proxyMetrics)
      throws IOException {
    return start(config, proxy, proxyMetrics, NodeEvents.NONE);
  }

  /** As {@link #start(EffectiveConfig, ServiceProxy, ProxyMetrics)}, a server that cannot bind also recorded as upstream's warning event. */
  public static Servers start(
      EffectiveConfig config, ServiceProxy proxy, ProxyMetrics proxyMetrics, NodeEvents events)
      throws IOException {
    HealthzServer healthz = null;
    MetricsServer metrics = null;
    try {
      if (config.healthzBindAddress() != null) {
        try {
          healthz =
              HealthzServer.start(
                  config.healthzBindAddress(), proxy::status, config.syncPeriod(),
                  Clock.systemUTC(), proxyMetrics.registry(), config.proxy().families());
        } catch (IOException e) {
          softFail(config, "healthz", config.healthzBindAddress(), e);
          events.record(NodeEvents.WARNING, "FailedToStartProxierHealthcheck", NodeEvents.START, e.getMessage());
        }
      }
      if (config.metricsBindAddress() != null) {
        try {
          metrics = MetricsServer.start(config.metricsBindAddress(), config.mode().flagValue(),
              proxyMetrics, configz(config), proxy::healthy);
        } catch (IOException e) {
          softFail(config, "metrics", config.metricsBindAddress(), e);
          events.record(NodeEvents.WARNING, "FailedToStartMetricServer", NodeEvents.START, e.getMessage());
        }
      }
      ServiceHealthServers serviceHealth =
          ServiceHealthServers.following(
              tables -> HealthServerAddresses.bindAddresses(
                  tables.values(), HealthServerAddresses.localAddresses()),
              proxy::healthy);
      return new Servers(healthz, metrics, serviceHealth);
    } catch (IOException | RuntimeException e) {
      closeQuietly(healthz);
      closeQuietly(metrics);
      throw e;
    }
  }

  /** The effective configuration as /configz serves it: v1alpha1 names without apiVersion/kind. */
  private static Map<String, Object> configz(EffectiveConfig config) {
    Map<String, Object> fields = new LinkedHashMap<>(ConfigWriter.toMap(config));
    fields.remove("apiVersion");
    fields.remove("kind");
    return fields;
  }

  /**
   * A server that cannot bind stops the start only with {@code bindAddressHardFail}; otherwise
   * it is logged and the proxy runs without it, as upstream.
   */
  private static void softFail(EffectiveConfig config, String server, Object address, IOException e)
      throws IOException {
    if (config.bindAddressHardFail()) {
      throw new IOException(server + " server on " + address + ": " + e.getMessage(), e);
    }
    log.error("{} server failed to bind {}: {}; running without it (bindAddressHardFail is off)",
        server, address, e.getMessage());
  }

  /** Tells healthz whether the node may take traffic (no-op when healthz is off). */
  public void nodeEligible(boolean eligible) {
    if (healthz != null) {
      healthz.nodeEligible(eligible);
    }
  }

  /** The health server, or null when it is off or could not bind. */
  public HealthzServer healthz() {
    return healthz;
  }

  /** The metrics server, or null when it is off or could not bind. */
  public MetricsServer metrics() {
    return metrics;
  }

  public ServiceHealthServers serviceHealth() {
    return serviceHealth;
  }

  @Override
  public void close() {
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
