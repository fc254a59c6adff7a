package dev.kubeproxy.model;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import java.time.Clock;

/**
 * Thread-safe intake of Service, EndpointSlice and Node events. Coalesces them: a sync asks
 * {@link #drain()} for the current snapshot and the set of services that changed since the
 * previous drain. Also tracks whether the Service and EndpointSlice sources completed their
 * initial listing (nothing may be programmed before both have).
 */
public final class ChangeTracker {
  private final Clock clock;

  public ChangeTracker(Clock clock) {
    this.clock = clock;
  }

  public void upsertService(Service service) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public void deleteService(NamespacedName id) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public void upsertEndpointSlice(EndpointSlice slice) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public void deleteEndpointSlice(NamespacedName id) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Sets this proxy's Node (null: the Node is gone). */
  public void updateNode(Node node) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public void markServicesSynced() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public void markEndpointSlicesSynced() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** True once both the Service and the EndpointSlice sources completed their first listing. */
  public boolean initialListingDone() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Whether events arrived since the last drain. */
  public boolean hasPendingChanges() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Takes the pending changes (and resets them) together with the current snapshot. */
  public PendingChanges drain() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  Clock clock() {
    return clock;
  }
}
