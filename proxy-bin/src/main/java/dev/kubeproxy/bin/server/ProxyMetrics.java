package dev.kubeproxy.bin.server;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.BackendStats;
import dev.kubeproxy.bin.BuildInfo;
import dev.kubeproxy.model.sync.SyncEvent;
import dev.kubeproxy.model.sync.SyncListener;
import dev.kubeproxy.userspace.UserspaceBackend;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Upstream's {@code kubeproxy_*} sync metrics, fed by the sync engine's {@link SyncEvent}s and
 * the committed tables, exposed in the Prometheus text format by {@link #writeTextFormat}.
 * Where upstream labels a metric with {@code ip_family} ({@code IPv4}/{@code IPv6}) so does this:
 * one sync here covers every family, so each family's series records the same sync. Upstream's
 * histograms keep upstream's buckets; this proxy's finer ones, from 1 ms, are additional
 * {@code kubeproxyjava_*} histograms. The failure counters are the mode's upstream names.
 *
 * <p>Totals count only successful syncs, because a failed sync carries its events into the
 * next attempt, which would otherwise count them twice. The {@code _pending} gauges are what a
 * failed sync left for the next one (0 after a success).
 */
public final class ProxyMetrics implements SyncListener {
  /** The content type of {@link #writeTextFormat}. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /** This proxy's finer duration buckets from 1 ms, so fast syncs are visible ({@code kubeproxyjava_*}). */
  static final double[] DURATION_BUCKETS = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

  /** Upstream's sync duration buckets: 1 ms doubling 15 times. */
  static final double[] UPSTREAM_SYNC_BUCKETS = exponential(0.001, 2, 15);

  /** Upstream's network programming buckets: 0, 0.25 s, 0.5 s, 1..59 s, 60..115 s by 5, 2..5 min by 30 s. */
  static final double[] UPSTREAM_NETWORK_PROGRAMMING_BUCKETS = networkProgrammingBuckets();

  static final String IP_FAMILY = "ip_family";

  // Prometheus' Java client rejects gauge names ending in _total, so this gauge is written by hand.
  private static final String NO_LOCAL_ENDPOINTS = "kubeproxy_sync_proxy_rules_no_local_endpoints_total";

  private final PrometheusRegistry registry;
  private final Clock clock;
  private final ImmutableList<String> families;
  private final PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);

  private final Histogram syncDuration;
  private final Histogram fullSyncDuration;
  private final Histogram partialSyncDuration;
  private final Histogram networkProgrammingDuration;
  private final Histogram fineSyncDuration;
  private final Histogram fineFullSyncDuration;
  private final Histogram finePartialSyncDuration;
  private final Histogram fineNetworkProgrammingDuration;
  private final Gauge lastTimestamp;
  private final Gauge lastQueuedTimestamp;
  private final Counter serviceChangesTotal;
  private final Counter endpointChangesTotal;
  private final Gauge serviceChangesPending;
  private final Gauge endpointChangesPending;
  private final Counter syncFailures;
  private final Counter partialSyncFailures;
  private final boolean iptablesMode;
  private final Counter conntrackDeleted;
  private final Histogram conntrackDuration;
  private volatile BackendStats backendStats;
  private volatile NoLocalEndpoints noLocalEndpoints = new NoLocalEndpoints(0, 0);
  private volatile UserspaceBackend userspace;
  // Service ports counted by the no-local-endpoints gauge (guarded by this).
  private final Set<ServicePortKey> noLocalInternal = new HashSet<>();
  private final Set<ServicePortKey> noLocalExternal = new HashSet<>();

  /** Metrics of an nftables proxy serving IPv4 (for tests and embedders). */
  public ProxyMetrics(PrometheusRegistry registry, Clock clock) {
    this(registry, clock, "nftables", Set.of(IpFamily.V4));
  }

  /**
   * Registers the metrics in {@code registry}; {@code clock} stamps {@link #changeQueued()};
   * {@code mode} (e.g. {@code nftables}) picks the failure counters' upstream names;
   * {@code families} are the {@code ip_family} label values each sync is recorded under.
   */
  public ProxyMetrics(PrometheusRegistry registry, Clock clock, String mode, Set<IpFamily> families) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.families = families.stream().sorted().map(ProxyMetrics::familyLabel)
        .collect(ImmutableList.toImmutableList());
    syncDuration = histogram("kubeproxy_sync_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds", UPSTREAM_SYNC_BUCKETS, IP_FAMILY);
    fullSyncDuration = histogram("kubeproxy_sync_full_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds for full resyncs", UPSTREAM_SYNC_BUCKETS, IP_FAMILY);
    partialSyncDuration = histogram("kubeproxy_sync_partial_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds for partial resyncs", UPSTREAM_SYNC_BUCKETS, IP_FAMILY);
    networkProgrammingDuration = histogram("kubeproxy_network_programming_duration_seconds",
        "In Cluster Network Programming Latency in seconds", UPSTREAM_NETWORK_PROGRAMMING_BUCKETS,
        IP_FAMILY);
    fineSyncDuration = histogram("kubeproxyjava_sync_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds, finer buckets", DURATION_BUCKETS);
    fineFullSyncDuration = histogram("kubeproxyjava_sync_full_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds for full resyncs, finer buckets", DURATION_BUCKETS);
    finePartialSyncDuration = histogram("kubeproxyjava_sync_partial_proxy_rules_duration_seconds",
        "SyncProxyRules latency in seconds for partial resyncs, finer buckets", DURATION_BUCKETS);
    fineNetworkProgrammingDuration = histogram("kubeproxyjava_network_programming_duration_seconds",
        "In-cluster network programming latency in seconds, finer buckets", DURATION_BUCKETS);
    lastTimestamp = Gauge.builder().name("kubeproxy_sync_proxy_rules_last_timestamp_seconds")
        .help("The last time proxy rules were successfully synced").labelNames(IP_FAMILY)
        .register(registry);
    this.families.forEach(family -> lastTimestamp.labelValues(family).set(0));
    // Every family's series exists from the start, as a scrape before the first sync expects.
    for (Histogram h : List.of(syncDuration, fullSyncDuration, partialSyncDuration, networkProgrammingDuration)) {
      this.families.forEach(h::labelValues);
    }
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
    boolean iptables = mode.equals("iptables");
    this.iptablesMode = iptables;
    syncFailures = familyCounter(
        iptables ? "kubeproxy_sync_proxy_rules_iptables_restore_failures_total"
            : "kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
        iptables ? "Cumulative proxy iptables restore failures"
            : "Cumulative proxy nftables sync failures");
    // nftables: stale objects go in the sync's own transaction, so a cleanup cannot fail on
    // its own and this stays 0. iptables: a failed partial sync (the next one is full).
    partialSyncFailures = familyCounter(
        iptables ? "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total"
            : "kubeproxy_sync_proxy_rules_nftables_cleanup_failures_total",
        iptables ? "Cumulative proxy iptables partial restore failures"
            : "Cumulative proxy nftables cleanup failures");
    conntrackDeleted = familyCounter("kubeproxy_conntrack_reconciler_deleted_entries_total",
        "Cumulative conntrack flows deleted by conntrack reconciler");
    // Upstream's reconciler histogram shares the sync duration buckets (1 ms doubling 15 times).
    conntrackDuration = histogram("kubeproxy_conntrack_reconciler_sync_duration_seconds",
        "ReconcileConntrackFlowsLatency latency in seconds", UPSTREAM_SYNC_BUCKETS, IP_FAMILY);
    this.families.forEach(conntrackDuration::labelValues);
    // The client writes an Info as the gauge kubernetes_build_info with the value 1.
    Info.builder().name("kubernetes_build")
        .help("A metric with a constant '1' value labeled by major, minor, git version, git commit,"
            + " git tree state, build date, Go version, and compiler from which Kubernetes was built,"
            + " and platform on which it is running.")
        .labelNames("major", "minor", "git_version", "git_commit", "git_tree_state", "build_date",
            "go_version", "compiler", "platform")
        .register(registry)
        .setLabelValues(versionPart(0), versionPart(1), "v" + BuildInfo.version(), "", "", "",
            "", "java " + Runtime.version().feature(),
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT) + "/" + System.getProperty("os.arch", ""));
    ProcessMetrics.register(registry);
  }

  /** Metrics in a new registry of their own, stamped by the system clock. */
  public static ProxyMetrics create() {
    return new ProxyMetrics(new PrometheusRegistry(), Clock.systemUTC());
  }

  /** Metrics of a {@code mode} proxy serving {@code families}, in a new registry, system clock. */
  public static ProxyMetrics create(String mode, Set<IpFamily> families) {
    return new ProxyMetrics(new PrometheusRegistry(), Clock.systemUTC(), mode, families);
  }

  /** The registry holding these metrics; register the health servers' counters here too. */
  public PrometheusRegistry registry() {
    return registry;
  }

  @Override
  public void onSync(SyncEvent event) {
    double seconds = seconds(event.duration());
    fineSyncDuration.observe(seconds);
    (event.full() ? fineFullSyncDuration : finePartialSyncDuration).observe(seconds);
    for (String family : families) {
      syncDuration.labelValues(family).observe(seconds);
      (event.full() ? fullSyncDuration : partialSyncDuration).labelValues(family).observe(seconds);
    }
    if (!event.succeeded()) {
      for (String family : families) {
        syncFailures.labelValues(family).inc();
        if (!event.full() && iptablesMode) {
          partialSyncFailures.labelValues(family).inc();
        }
      }
      serviceChangesPending.set(event.serviceEvents());
      endpointChangesPending.set(event.endpointEvents());
      return;
    }
    double end = epochSeconds(event.start().plus(event.duration()));
    families.forEach(family -> lastTimestamp.labelValues(family).set(end));
    serviceChangesTotal.inc(event.serviceEvents());
    endpointChangesTotal.inc(event.endpointEvents());
    serviceChangesPending.set(0);
    endpointChangesPending.set(0);
    if (event.networkProgrammingLatency() != null) {
      double latency = seconds(event.networkProgrammingLatency());
      fineNetworkProgrammingDuration.observe(latency);
      families.forEach(family -> networkProgrammingDuration.labelValues(family).observe(latency));
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

  /** Adds {@code count} conntrack entries of {@code family} the cleaner actually deleted. */
  public void conntrackEntriesDeleted(IpFamily family, long count) {
    conntrackDeleted.labelValues(familyLabel(family)).inc(count);
  }

  /** Records how long one reconcile of {@code family}'s conntrack entries took. */
  public void conntrackReconciled(IpFamily family, Duration duration) {
    conntrackDuration.labelValues(familyLabel(family)).observe(seconds(duration));
  }

  /** Upstream's {@code ip_family} label value: {@code IPv4} or {@code IPv6}. */
  static String familyLabel(IpFamily family) {
    return family == IpFamily.V4 ? "IPv4" : "IPv6";
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
    MetricSnapshots snapshots = registry.scrape();
    writer.write(out, snapshots);
    NoLocalEndpoints n = noLocalEndpoints;
    String text = "# HELP " + NO_LOCAL_ENDPOINTS
        + " Number of services with a Local traffic policy and no endpoints\n"
        + "# TYPE " + NO_LOCAL_ENDPOINTS + " gauge\n"
        + NO_LOCAL_ENDPOINTS + "{traffic_policy=\"external\"} " + n.external() + "\n"
        + NO_LOCAL_ENDPOINTS + "{traffic_policy=\"internal\"} " + n.internal() + "\n";
    out.write(text.getBytes(StandardCharsets.UTF_8));
    BackendStats stats = backendStats;
    if (stats != null) {
      out.write(backendText(stats, registeredNames(snapshots)).getBytes(StandardCharsets.UTF_8));
    }
    UserspaceBackend backend = userspace;
    if (backend != null) {
      out.write(UserspacePrometheusText.render(backend.traffic().snapshot())
          .getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The backend's metrics in Prometheus text format, names as upstream writes them. */
  static String backendText(BackendStats stats) {
    return backendText(stats, Set.of());
  }

  /**
   * As {@link #backendText(BackendStats)}, leaving out the metrics named in {@code taken}: a name
   * the binary already exports (e.g. the restore-failure counters in iptables mode) must appear
   * once in a scrape.
   */
  static String backendText(BackendStats stats, Set<String> taken) {
    StringBuilder s = new StringBuilder();
    for (BackendStats.Metric m : stats.metrics()) {
      if (taken.contains(m.name())) {
        continue;
      }
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

  /** The exposed names of {@code snapshots}' metrics (counters with their {@code _total}). */
  private static Set<String> registeredNames(MetricSnapshots snapshots) {
    Set<String> names = new HashSet<>();
    for (MetricSnapshot snapshot : snapshots) {
      String name = snapshot.getMetadata().getPrometheusName();
      names.add(name);
      names.add(name + "_total");
    }
    return names;
  }

  private record NoLocalEndpoints(int internal, int external) {}

  private Histogram histogram(String name, String help, double[] buckets, String... labels) {
    return Histogram.builder().name(name).help(help).classicOnly()
        .classicUpperBounds(buckets).labelNames(labels).register(registry);
  }

  /** A counter labelled with {@code ip_family}, its served families' series present at 0. */
  private Counter familyCounter(String name, String help) {
    Counter c = Counter.builder().name(name).help(help).labelNames(IP_FAMILY).register(registry);
    this.families.forEach(family -> c.labelValues(family));
    return c;
  }

  private static double[] exponential(double start, double factor, int count) {
    double[] buckets = new double[count];
    for (int i = 0; i < count; i++) {
      buckets[i] = start * Math.pow(factor, i);
    }
    return buckets;
  }

  private static double[] networkProgrammingBuckets() {
    List<Double> b = new ArrayList<>();
    b.add(0.0);
    b.add(0.25);
    b.add(0.5);
    for (int s = 1; s <= 59; s++) {
      b.add((double) s);
    }
    for (int s = 60; s <= 115; s += 5) {
      b.add((double) s);
    }
    for (int s = 120; s <= 300; s += 30) {
      b.add((double) s);
    }
    return b.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static String versionPart(int index) {
    String[] parts = BuildInfo.version().split("\\.");
    return parts.length > index ? parts[index].replaceAll("\\D.*", "") : "";
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
