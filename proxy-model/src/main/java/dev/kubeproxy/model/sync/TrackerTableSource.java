package dev.kubeproxy.model.sync;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.PendingChanges;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableBuilder;
import dev.kubeproxy.model.TableUpdate;
import java.util.Objects;
import java.util.Set;

/** The production {@link TableSource}: a {@link ChangeTracker} and {@link TableBuilder}. */
public final class TrackerTableSource implements TableSource {
  private final ChangeTracker tracker;
  private final ProxyConfig config;

  public TrackerTableSource(ChangeTracker tracker, ProxyConfig config) {
    this.tracker = Objects.requireNonNull(tracker, "tracker");
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  public boolean ready() {
    return tracker.initialListingDone();
  }

  @Override
  public PendingChanges drain() {
    return tracker.drain();
  }

  @Override
  public ForwardingTable build(IpFamily family, ClusterSnapshot snapshot) {
    return TableBuilder.build(family, snapshot, config);
  }

  @Override
  public TableUpdate update(
      ForwardingTable previous,
      ClusterSnapshot previousSnapshot,
      ClusterSnapshot snapshot,
      Set<NamespacedName> changedServices) {
    return TableBuilder.update(previous, previousSnapshot, snapshot, config, changedServices);
  }
}
