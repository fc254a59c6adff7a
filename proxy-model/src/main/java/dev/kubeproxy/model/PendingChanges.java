package dev.kubeproxy.model;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.NamespacedName;
import java.time.Instant;

/**
 * What {@link ChangeTracker#drain()} hands a sync: the snapshot now, the services whose
 * Service or EndpointSlices changed since the last drain, whether the Node changed and whether
 * the service CIDRs changed (either forces a full rebuild: they are table-wide facts), how many
 * raw events were coalesced, and when the oldest of them arrived (null when none; for the
 * network-programming-latency metric).
 */
public record PendingChanges(
    ClusterSnapshot snapshot,
    ImmutableSet<NamespacedName> changedServices,
    boolean nodeChanged,
    boolean serviceCidrsChanged,
    int serviceEvents,
    int endpointEvents,
    Instant oldestChange) {

  /** Pending changes in which the service CIDRs did not change. */
  public PendingChanges(
      ClusterSnapshot snapshot,
      ImmutableSet<NamespacedName> changedServices,
      boolean nodeChanged,
      int serviceEvents,
      int endpointEvents,
      Instant oldestChange) {
    this(snapshot, changedServices, nodeChanged, false, serviceEvents, endpointEvents, oldestChange);
  }

  /** Whether a table-wide fact changed (the Node or the service CIDRs): tables are rebuilt. */
  public boolean tableFactsChanged() {
    return nodeChanged || serviceCidrsChanged;
  }

  public boolean isEmpty() {
    return changedServices.isEmpty() && !tableFactsChanged();
  }
}
