package dev.kubeproxy.model;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.NamespacedName;
import java.time.Instant;

/**
 * What {@link ChangeTracker#drain()} hands a sync: the snapshot now, the services whose
 * Service or EndpointSlices changed since the last drain, whether the Node changed (which
 * forces a full rebuild), how many raw events were coalesced, and when the oldest of them
 * arrived (null when none; for the network-programming-latency metric).
 */
public record PendingChanges(
    ClusterSnapshot snapshot,
    ImmutableSet<NamespacedName> changedServices,
    boolean nodeChanged,
    int serviceEvents,
    int endpointEvents,
    Instant oldestChange) {

  public boolean isEmpty() {
    return changedServices.isEmpty() && !nodeChanged;
  }
}
