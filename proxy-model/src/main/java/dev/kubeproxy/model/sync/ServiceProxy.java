package dev.kubeproxy.model.sync;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.PendingChanges;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableUpdate;
import dev.kubeproxy.model.conntrack.ConntrackCleaner;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync engine (DESIGN §3): on each run of its {@link BoundedFrequencyRunner} it drains the
 * pending changes, rebuilds the tables of every IP family (fully, or only the changed
 * services), hands them to the {@link Backend} in one request, and on success remembers them as
 * committed, reconciles UDP conntrack entries and updates its {@link SyncStatus}.
 *
 * <p>A sync is full on the first sync, after any failure, when the Node changed, and when the
 * last full sync is {@code fullSyncPeriod} old. A failed sync loses nothing: the committed
 * tables stay the previous ones, the drained changes are carried into the next attempt, and
 * the runner retries after {@code syncPeriod}. As in upstream's newer runner, with no changes
 * the proxy still syncs every {@code fullSyncPeriod} (and that sync is full). Event sources call
 * {@link #onChange()} after feeding the tracker, including after marking their initial listing
 * done.
 *
 * <p>Conntrack is reconciled in full ({@link ConntrackCleaner}) after a successful sync that was
 * full (so the first sync after a start cleans what earlier runs left), that changed a UDP
 * service port (upstream's {@code ConntrackCleanupRequired}), or that follows a failed
 * reconcile; a sync that changed only TCP or SCTP ports does not list the table.
 */
public final class ServiceProxy {
  private static final Logger log = LoggerFactory.getLogger(ServiceProxy.class);

  private final ImmutableList<IpFamily> families;
  private final TableSource source;
  private final Backend backend;
  private final Scheduler scheduler;
  private final SyncPeriods periods;
  private final ConntrackCleaner cleaner;
  private final SyncListener listener;
  private final BoundedFrequencyRunner runner;
  // Serializes backend calls: the monitor runs beside the runner, which never overlaps syncs.
  private final Object backendLock = new Object();
  private Scheduler.Cancellable monitorTimer;
  private boolean monitorStopped;

  // Sync state: touched only under backendLock, by sync() and the monitor.
  private ClusterSnapshot committedSnapshot = ClusterSnapshot.EMPTY;
  private boolean needFullSync = true;
  private boolean conntrackRetry;
  private Instant lastFullSync;
  private final Set<NamespacedName> carriedServices = new HashSet<>();
  private Instant carriedOldest;
  private int carriedServiceEvents;
  private int carriedEndpointEvents;
  private volatile ImmutableMap<IpFamily, ForwardingTable> committed;

  // Status, guarded by statusLock: onChange() runs on event-source threads.
  private final Object statusLock = new Object();
  private Instant lastQueued;
  private Instant queuedSinceDrain;
  private Instant lastSuccessfulSync;
  private boolean lastSyncFull;
  private int consecutiveFailures;

  private ServiceProxy(Builder b) {
    this.families = ImmutableList.copyOf(b.families);
    this.source = b.source;
    this.backend = b.backend;
    this.scheduler = b.scheduler;
    this.periods = b.periods;
    this.cleaner = b.cleaner;
    this.listener = b.listener;
    ImmutableMap.Builder<IpFamily, ForwardingTable> empty = ImmutableMap.builder();
    for (IpFamily f : families) {
      empty.put(f, ForwardingTable.empty(f));
    }
    this.committed = empty.build();
    this.runner = new BoundedFrequencyRunner(
        "sync-proxy-rules",
        this::sync,
        scheduler,
        periods.minSyncPeriod(),
        periods.syncPeriod(),
        periods.fullSyncPeriod());
  }

  /** A builder for a proxy over {@code tracker} and the real {@code TableBuilder}. */
  public static Builder builder(
      ProxyConfig config, ChangeTracker tracker, Backend backend, Scheduler scheduler) {
    return new Builder(
        config.families(), new TrackerTableSource(tracker, config), backend, scheduler);
  }

  /** A builder for a proxy over any {@link TableSource}. */
  public static Builder builder(
      Set<IpFamily> families, TableSource source, Backend backend, Scheduler scheduler) {
    return new Builder(families, source, backend, scheduler);
  }

  /** Starts the runner and asks for a first sync (a no-op until the initial listing is done). */
  public void start() {
    runner.start();
    runner.run();
    scheduleMonitor();
  }

  /** Stops syncing and monitoring; a sync in progress completes. */
  public void stop() {
    runner.stop();
    synchronized (backendLock) {
      monitorStopped = true;
      if (monitorTimer != null) {
        monitorTimer.cancel();
      }
    }
  }

  private void scheduleMonitor() {
    synchronized (backendLock) {
      if (!monitorStopped) {
        monitorTimer = scheduler.schedule(this::monitor, periods.syncPeriod());
      }
    }
  }

  /**
   * Every syncPeriod: asks the backend whether its rules are still in place ({@link
   * Backend#intact}); if not (or the check fails), the next sync is full and runs at once.
   */
  private void monitor() {
    boolean intact;
    synchronized (backendLock) {
      if (monitorStopped) {
        return;
      }
      try {
        intact = backend.intact();
      } catch (SyncException | RuntimeException e) {
        log.warn("checking the {} rules failed; the next sync is full", backend.mode(), e);
        intact = false;
      }
      if (!intact) {
        needFullSync = true;
      }
    }
    if (!intact) {
      log.warn("the {} rules were removed from the kernel (a firewall reload?); syncing in full",
          backend.mode());
      runner.run();
    }
    scheduleMonitor();
  }

  /**
   * Runs one sync now on the calling thread (for {@code --once} and tools); returns whether it
   * succeeded. Not for use while the runner is started.
   */
  public boolean syncOnce() {
    return sync();
  }

  /** Called by event sources after feeding the tracker: queues a sync. */
  public void onChange() {
    synchronized (statusLock) {
      Instant now = scheduler.now();
      if (lastQueued == null) {
        lastQueued = now;
      }
      if (queuedSinceDrain == null) {
        queuedSinceDrain = now;
      }
    }
    runner.run();
  }

  public SyncStatus status() {
    synchronized (statusLock) {
      return new SyncStatus(lastQueued, lastSuccessfulSync, lastSyncFull, consecutiveFailures);
    }
  }

  /** {@link SyncStatus#healthy} now, with this proxy's syncPeriod. */
  public boolean healthy() {
    return status().healthy(scheduler.now(), periods.syncPeriod());
  }

  /** The tables the backend last committed, per family (empty tables before the first sync). */
  public ImmutableMap<IpFamily, ForwardingTable> committedTables() {
    return committed;
  }

  private boolean sync() {
    synchronized (backendLock) {
      return syncLocked();
    }
  }

  private boolean syncLocked() {
    if (!source.ready()) {
      log.debug("not syncing: Services and EndpointSlices have not both been listed yet");
      return true;
    }
    Instant start = scheduler.now();
    PendingChanges pending = source.drain();
    synchronized (statusLock) {
      queuedSinceDrain = null;
      if (pending.oldestChange() != null
          && (lastQueued == null || pending.oldestChange().isBefore(lastQueued))) {
        lastQueued = pending.oldestChange();
      }
    }
    Set<NamespacedName> changed = new HashSet<>(carriedServices);
    changed.addAll(pending.changedServices());
    Instant oldest = earliest(carriedOldest, pending.oldestChange());
    int serviceEvents = carriedServiceEvents + pending.serviceEvents();
    int endpointEvents = carriedEndpointEvents + pending.endpointEvents();
    boolean full = needFullSync
        || pending.tableFactsChanged()
        || lastFullSync == null
        || !start.isBefore(lastFullSync.plus(periods.fullSyncPeriod()));

    Map<IpFamily, TableChange> changes = new EnumMap<>(IpFamily.class);
    SyncResult result;
    try {
      for (IpFamily family : families) {
        changes.put(family, tableChange(family, full, pending.snapshot(), changed));
      }
      result = backend.sync(new SyncRequest(ImmutableList.copyOf(changes.values()), full));
    } catch (SyncException | RuntimeException e) {
      // Keep the committed tables; carry the drained changes so the next attempt applies them.
      carriedServices.clear();
      carriedServices.addAll(changed);
      carriedOldest = oldest;
      carriedServiceEvents = serviceEvents;
      carriedEndpointEvents = endpointEvents;
      needFullSync = true;
      synchronized (statusLock) {
        consecutiveFailures++;
      }
      log.error("{} sync failed; next sync is full, retry within {}",
          full ? "full" : "partial", periods.syncPeriod(), e);
      listener.onSync(new SyncEvent(start, Duration.between(start, scheduler.now()), full, null, e,
          serviceEvents, endpointEvents, changed.size(), null, 0));
      return false;
    }

    ImmutableMap.Builder<IpFamily, ForwardingTable> nextCommitted = ImmutableMap.builder();
    boolean udpChanged = false;
    for (TableChange c : changes.values()) {
      nextCommitted.put(c.family(), c.next());
      udpChanged |= c.changedKeys().stream().anyMatch(k -> k.protocol() == Protocol.UDP);
    }
    committed = nextCommitted.build();
    committedSnapshot = pending.snapshot();
    needFullSync = false;
    if (full) {
      lastFullSync = start;
    }
    carriedServices.clear();
    carriedOldest = null;
    carriedServiceEvents = 0;
    carriedEndpointEvents = 0;
    int stale = full || udpChanged || conntrackRetry ? reconcileConntrack() : 0;
    Instant end = scheduler.now();
    synchronized (statusLock) {
      lastQueued = queuedSinceDrain;
      lastSuccessfulSync = end;
      lastSyncFull = full;
      consecutiveFailures = 0;
    }
    ImmutableMap.Builder<IpFamily, ImmutableSet<ServicePortKey>> changedKeys = ImmutableMap.builder();
    for (TableChange c : changes.values()) {
      changedKeys.put(c.family(), c.changedKeys());
    }
    listener.onSync(new SyncEvent(start, Duration.between(start, end), full, result, null,
        serviceEvents, endpointEvents, changed.size(),
        oldest == null ? null : Duration.between(oldest, end), stale, changedKeys.build()));
    return true;
  }

  /** Reconciles every family's conntrack entries; a failure is retried after the next sync. */
  private int reconcileConntrack() {
    int stale = 0;
    conntrackRetry = false;
    for (ForwardingTable table : committed.values()) {
      try {
        stale += cleaner.reconcile(table);
      } catch (CommandException | RuntimeException e) {
        conntrackRetry = true;
        // The message carries the tool's stderr; a missing tool would repeat a trace every sync.
        log.warn("reconciling the {} conntrack entries failed; retrying after the next sync: {}",
            table.family(), e.toString());
      }
    }
    return stale;
  }

  private TableChange tableChange(
      IpFamily family, boolean full, ClusterSnapshot snapshot, Set<NamespacedName> changed) {
    ForwardingTable previous = committed.get(family);
    if (full) {
      ForwardingTable next = source.build(family, snapshot);
      Set<ServicePortKey> keys = new HashSet<>(previous.entries().keySet());
      keys.addAll(next.entries().keySet());
      return new TableChange(family, previous, next, ImmutableSet.copyOf(keys));
    }
    TableUpdate update = source.update(previous, committedSnapshot, snapshot, changed);
    return new TableChange(family, previous, update.table(), update.changedKeys());
  }

  private static Instant earliest(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isBefore(b) ? a : b;
  }

  /** Configures a {@link ServiceProxy}; periods default to upstream's, cleaner and listener to none. */
  public static final class Builder {
    private final Set<IpFamily> families;
    private final TableSource source;
    private final Backend backend;
    private final Scheduler scheduler;
    private SyncPeriods periods = SyncPeriods.DEFAULTS;
    private ConntrackCleaner cleaner = ConntrackCleaner.NONE;
    private SyncListener listener = SyncListener.NONE;

    private Builder(Set<IpFamily> families, TableSource source, Backend backend, Scheduler scheduler) {
      if (families == null || families.isEmpty()) {
        throw new IllegalArgumentException("at least one IP family");
      }
      this.families = families;
      this.source = Objects.requireNonNull(source, "source");
      this.backend = Objects.requireNonNull(backend, "backend");
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    public Builder periods(SyncPeriods p) {
      this.periods = Objects.requireNonNull(p);
      return this;
    }

    public Builder conntrackCleaner(ConntrackCleaner c) {
      this.cleaner = Objects.requireNonNull(c);
      return this;
    }

    public Builder listener(SyncListener l) {
      this.listener = Objects.requireNonNull(l);
      return this;
    }

    public ServiceProxy build() {
      return new ServiceProxy(this);
    }
  }
}
