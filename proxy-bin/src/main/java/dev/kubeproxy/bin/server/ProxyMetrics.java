package dev.kubeproxy.bin.server;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.BackendStats;
import dev.kubeproxy.model.sync.SyncEvent;
import dev.kubeproxy.model.sync.SyncListener;
import dev.kubeproxy.userspace.UserspaceBackend;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Upstream's {@code kubeproxy_*} sync metrics, fed by the sync engine's {@link SyncEvent}s and
 * the committed tables, exposed in the Prometheus text format by {@link #writeTextFormat}.
 *
 * <p>Totals count only successful syncs, because a failed sync carries its events into the
 * next attempt, which would otherwise count them twice. The {@code _pending} gauges are what a
 * failed sync left for the next one (0 after a success).
 */
public final class ProxyMetrics implements SyncListener {
  /** The content type of {@link #writeTextFormat}. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /** Duration buckets from 1 ms (upstream's start at 1 ms too), so fast syncs are visible. */
  static final double[] DURATION_BUCKETS = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

  // Prometheus' Java client rejects gauge names ending in _total, so this gauge is written by hand.
  private static final String NO_LOCAL_ENDPOINTS = "kubeproxy_sync_proxy_rules_no_local_endpoints_total";

  private final PrometheusRegistry registry;
  private final Clock clock;
  private final PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);

  private final Histogram syncDuration;
  private final Histogram fullSyncDuration;
  private final Histogram partialSyncDuration;
  private final Histogram networkProgrammingDuration;
  private final Gauge lastTimestamp;
  private final Gauge lastQueuedTimestamp;
  private final Counter serviceChangesTotal;
  private final Counter endpointChangesTotal;
  private final Gauge serviceChangesPending;
  private final Gauge endpointChangesPending;
  private final Counter syncFailures;
  private final Counter conntrackDeleted;
  private volatile BackendStats backendStats;
  private volatile NoLocalEndpoints noLocalEndpoints = new NoLocalEndpoints(0, 0);
  private volatile UserspaceBackend userspace;
  // Service ports counted by the no-local-endpoints gauge (guarded by this).
  private final Set<ServicePortKey> noLocalInternal = new HashSet<>();
  private final Set<ServicePortKey> noLocalExternal = new HashSet<>();

  /** Registers the metrics in {@code registry}; {@code clock} stamps {@link #changeQueued()}. */
  public ProxyMetrics(PrometheusRegistry registry, Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = Objects.requireNonNull(clock, "clock");
    syncDuration = histogram("kubeproxy_sync_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds");
    fullSyncDuration = histogram("kubeproxy_sync_full_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds for full resyncs");
    partialSyncDuration = histogram("kubeproxy_sync_partial_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds for partial resyncs");
    networkProgrammingDuration = histogram("kubeproxy_network_programming_duration_seconds",
        "In-cluster network programming latency in seconds");
    lastTimestamp = gauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds",
        "The last time proxy rules were successfully synced");
    lastQueuedTimestamp = gauge("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
        "The last time a sync of proxy rules was queued");
    serviceChangesTotal = counter("kubeproxy_sync_proxy_rules_service_changes_total",
        "Cumulative proxy rules Service changes");
    endpointChangesTotal = counter("kubeproxy_sync_proxy_rules_endpoint_changes_total",
        "Cumulative proxy rules Endpoint changes");
    serviceChangesPending = gauge("kubeproxy_sync_proxy_rules_service_changes_pending",
        "Pending proxy rules Service changes");
    endpointChangesPending = gauge("kubeproxy_sync_proxy_rules_endpoint_changes_pending",
        "Pending proxy rules Endpoint changes");
    syncFailures = counter("kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
        "Cumulative proxy nftables sync failures");
    conntrackDeleted = counter("kubeproxy_conntrack_reconciler_deleted_entries_total",
        "Cumulative conntrack flows deleted by conntrack reconciler");
  }

  /** Metrics in a new registry of their own, stamped by the system clock. */
  public static ProxyMetrics create() {
    return new ProxyMetrics(new PrometheusRegistry(), Clock.systemUTC());
  }

  /** The registry holding these metrics; register the health servers' counters here too. */
  public PrometheusRegistry registry() {
    return registry;
  }

  @Override
  public void onSync(SyncEvent event) {
    double seconds = seconds(event.duration());
    syncDuration.observe(seconds);
    (event.full() ? fullSyncDuration : partialSyncDuration).observe(seconds);
    if (!event.succeeded()) {
      syncFailures.inc();
      serviceChangesPending.set(event.serviceEvents());
      endpointChangesPending.set(event.endpointEvents());
      return;
    }
    lastTimestamp.set(epochSeconds(event.start().plus(event.duration())));
    serviceChangesTotal.inc(event.serviceEvents());
    endpointChangesTotal.inc(event.endpointEvents());
    serviceChangesPending.set(0);
    endpointChangesPending.set(0);
    if (event.networkProgrammingLatency() != null) {
      networkProgrammingDuration.observe(seconds(event.networkProgrammingLatency()));
    }
  }

  /** Records that a sync was queued now (call it where the event sources call {@code onChange()}). */
  public void changeQueued() {
    lastQueuedTimestamp.set(epochSeconds(clock.instant()));
  }

  /**
   * Records a change queued now with the events waiting for the next sync (the tracker's
   * counts), so the {@code _pending} gauges rise between syncs as upstream's do.
   */
  public void changeQueued(int pendingServiceEvents, int pendingEndpointEvents) {
    changeQueued();
    serviceChangesPending.set(pendingServiceEvents);
    endpointChangesPending.set(pendingEndpointEvents);
  }

  /** Publishes {@code stats} (the backend's own metrics, e.g. iptables rule counts) on every scrape. */
  public void backendStats(BackendStats stats) {
    backendStats = stats;
  }

  /**
   * Exports {@code backend}'s per-service-port counters as {@code kubeproxy_userspace_*} and
   * its local addresses for the metrics server's {@code /userspace/addresses}.
   */
  public void attachUserspace(UserspaceBackend backend) {
    this.userspace = Objects.requireNonNull(backend, "backend");
  }

  /** The userspace proxy's local address per service port as JSON, when one is attached. */
  public Optional<String> userspaceAddressesJson() {
    UserspaceBackend backend = userspace;
    return backend == null ? Optional.empty() : Optional.of(backend.localAddressesJson());
  }

  /** Adds {@code count} conntrack entries the cleaner actually deleted. */
  public void conntrackEntriesDeleted(long count) {
    conntrackDeleted.inc(count);
  }

  /**
   * Recomputes the no-local-endpoints gauge from the committed tables: service ports with a
   * Local internal (external) traffic policy and no endpoint for that traffic, each service
   * port counted once across IP families. Looks at every entry; after a sync prefer
   * {@link #update(Map, Map)}.
   */
  public synchronized void update(Map<IpFamily, ForwardingTable> tables) {
    noLocalInternal.clear();
    noLocalExternal.clear();
    for (ForwardingTable table : tables.values()) {
      for (ServicePortKey key : table.entries().keySet()) {
        refresh(key, tables);
      }
    }
    publishNoLocalEndpoints();
  }

  /**
   * Updates the no-local-endpoints gauge for the keys a sync changed only (the
   * {@code SyncEvent}'s changed keys), so a partial sync costs what it changed.
   */
  public synchronized void update(
      Map<IpFamily, ForwardingTable> tables,
      Map<IpFamily, ? extends Set<ServicePortKey>> changedKeys) {
    for (Set<ServicePortKey> keys : changedKeys.values()) {
      for (ServicePortKey key : keys) {
        refresh(key, tables);
      }
    }
    publishNoLocalEndpoints();
  }

  private void refresh(ServicePortKey key, Map<IpFamily, ForwardingTable> tables) {
    boolean internal = false;
    boolean external = false;
    for (ForwardingTable table : tables.values()) {
      ServiceEntry e = table.entry(key);
      if (e != null) {
        internal |= e.internalPolicyLocal() && e.internal().isEmpty();
        external |= e.externalPolicyLocal() && e.external().isEmpty();
      }
    }
    if (internal) {
      noLocalInternal.add(key);
    } else {
      noLocalInternal.remove(key);
    }
    if (external) {
      noLocalExternal.add(key);
    } else {
      noLocalExternal.remove(key);
    }
  }

  private void publishNoLocalEndpoints() {
    noLocalEndpoints = new NoLocalEndpoints(noLocalInternal.size(), noLocalExternal.size());
  }

  /**
   * Writes every metric of the registry, then the no-local-endpoints gauge and the userspace
   * counters (when attached), as Prometheus text.
   */
  public void writeTextFormat(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
    NoLocalEndpoints n = noLocalEndpoints;
    String text = "# HELP " + NO_LOCAL_ENDPOINTS
        + " Number of services with a Local traffic policy and no endpoints\n"
        + "# TYPE " + NO_LOCAL_ENDPOINTS + " gauge\n"
        + NO_LOCAL_ENDPOINTS + "{traffic_policy=\"external\"} " + n.external() + "\n"
        + NO_LOCAL_ENDPOINTS + "{traffic_policy=\"internal\"} " + n.internal() + "\n";
    out.write(text.getBytes(StandardCharsets.UTF_8));
    BackendStats stats = backendStats;
    if (stats != null) {
      out.write(backendText(stats).getBytes(StandardCharsets.UTF_8));
    }
    UserspaceBackend backend = userspace;
    if (backend != null) {
      out.write(UserspacePrometheusText.render(backend.metrics().snapshot())
          .getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The backend's metrics in Prometheus text format, names as upstream writes them. */
  static String backendText(BackendStats stats) {
    StringBuilder s = new StringBuilder();
    for (BackendStats.Metric m : stats.metrics()) {
      s.append("# HELP ").append(m.name()).append(' ').append(m.help()).append('\n');
      s.append("# TYPE ").append(m.name()).append(' ')
          .append(m.type() == BackendStats.Type.GAUGE ? "gauge" : "counter").append('\n');
      for (BackendStats.Sample sample : m.samples()) {
        s.append(m.name());
        if (!sample.labels().isEmpty()) {
          s.append('{');
          String sep = "";
          for (Map.Entry<String, String> l : sample.labels().entrySet()) {
            s.append(sep).append(l.getKey()).append("=\"").append(l.getValue()).append('"');
            sep = ",";
          }
          s.append('}');
        }
        s.append(' ').append(formatValue(sample.value())).append('\n');
      }
    }
    return s.toString();
  }

  private static String formatValue(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  private record NoLocalEndpoints(int internal, int external) {}

  private Histogram histogram(String name, String help) {
    return Histogram.builder().name(name).help(help).classicOnly()
        .classicUpperBounds(DURATION_BUCKETS).register(registry);
  }

  private Gauge gauge(String name, String help) {
    return Gauge.builder().name(name).help(help).register(registry);
  }

  private Counter counter(String name, String help) {
    return Counter.builder().name(name).help(help).register(registry);
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  private static double epochSeconds(Instant t) {
    return t.getEpochSecond() + t.getNano() / 1e9;
  }
}
