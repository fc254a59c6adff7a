package dev.kubeproxy.jmh;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.PendingChanges;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableBuilder;
import dev.kubeproxy.model.TableUpdate;
import java.time.Clock;

/**
 * A {@link Workload} fed through a {@link ChangeTracker} and built into an IPv4 table, ready for
 * incremental changes: what a running proxy holds after its first sync. Not thread-safe.
 */
public final class LoadedModel {
  private final ChangeTracker tracker;
  private final ProxyConfig config;
  private ClusterSnapshot snapshot;
  private ForwardingTable table;

  private LoadedModel(ChangeTracker tracker, ProxyConfig config, ClusterSnapshot snapshot) {
    this.tracker = tracker;
    this.config = config;
    this.snapshot = snapshot;
    this.table = TableBuilder.build(IpFamily.V4, snapshot, config);
  }

  /** The proxy configuration every benchmark uses: defaults for {@link Workload#NODE}. */
  public static ProxyConfig config() {
    return ProxyConfig.defaults(Workload.NODE);
  }

  /** Feeds every object of {@code workload} to a fresh tracker and builds the first table. */
  public static LoadedModel load(Workload workload) {
    ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
    tracker.updateNode(workload.node());
    for (Service service : workload.services()) {
      tracker.upsertService(service);
    }
    for (EndpointSlice slice : workload.slices()) {
      tracker.upsertEndpointSlice(slice);
    }
    tracker.markServicesSynced();
    tracker.markEndpointSlicesSynced();
    return new LoadedModel(tracker, config(), tracker.drain().snapshot());
  }

  public ClusterSnapshot snapshot() {
    return snapshot;
  }

  public ForwardingTable table() {
    return table;
  }

  /**
   * The incremental path of one sync: the slice event enters the tracker, the sync drains it
   * and the builder rebuilds only the changed service. Returns the update and keeps its table.
   */
  public TableUpdate apply(EndpointSlice slice) {
    tracker.upsertEndpointSlice(slice);
    PendingChanges pending = tracker.drain();
    Preconditions.checkState(!pending.nodeChanged(), "the benchmark never changes the Node");
    TableUpdate update =
        TableBuilder.update(table, snapshot, pending.snapshot(), config, pending.changedServices());
    snapshot = pending.snapshot();
    table = update.table();
    return update;
  }

  /** {@link #apply} as the backend sees it: the table before, the table after, the changed keys. */
  public TableChange applyAsChange(EndpointSlice slice) {
    ForwardingTable previous = table;
    TableUpdate update = apply(slice);
    return new TableChange(IpFamily.V4, previous, update.table(), update.changedKeys());
  }

  /**
   * The backend changes of one full pass over {@code events} (two events per service, so the
   * model ends where it began): replaying them in order, again and again, stays consistent.
   */
  public ImmutableList<TableChange> record(OneEndpointChanges events) {
    ImmutableList.Builder<TableChange> changes = ImmutableList.builder();
    for (int i = 0; i < events.size(); i++) {
      changes.add(applyAsChange(events.next()));
    }
    return changes.build();
  }
}
