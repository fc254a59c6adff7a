package dev.kubeproxy.model.sync;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncResult;
import java.time.Duration;
import java.time.Instant;

/**
 * One sync attempt, for metrics: when it started and how long it took, whether it was full,
 * whether it succeeded ({@code result} set) or failed ({@code failure} set), the coalesced
 * Service and EndpointSlice events it applied (or tried to), how many services changed, the
 * network-programming latency (sync end minus the oldest change it applied; null when it
 * applied no change), how many stale UDP conntrack entries its reconcile found (0 when it did
 * not reconcile), and, per family,
 * the keys whose committed entries it changed (empty on failure; every key on a full sync), so
 * listeners can do work proportional to the change.
 */
public record SyncEvent(
    Instant start,
    Duration duration,
    boolean full,
    SyncResult result,
    Throwable failure,
    int serviceEvents,
    int endpointEvents,
    int changedServices,
    Duration networkProgrammingLatency,
    int staleFlows,
    ImmutableMap<IpFamily, ImmutableSet<ServicePortKey>> changedKeys) {

  /** An event that carries no changed keys (for listeners that do not look at them). */
  public SyncEvent(
      Instant start,
      Duration duration,
      boolean full,
      SyncResult result,
      Throwable failure,
      int serviceEvents,
      int endpointEvents,
      int changedServices,
      Duration networkProgrammingLatency,
      int staleFlows) {
    this(start, duration, full, result, failure, serviceEvents, endpointEvents, changedServices,
        networkProgrammingLatency, staleFlows, ImmutableMap.of());
  }

  public boolean succeeded() {
    return failure == null;
  }
}
