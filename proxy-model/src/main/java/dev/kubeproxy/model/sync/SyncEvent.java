package dev.kubeproxy.model.sync;

import dev.kubeproxy.api.backend.SyncResult;
import java.time.Duration;
import java.time.Instant;

/**
 * One sync attempt, for metrics: when it started and how long it took, whether it was full,
 * whether it succeeded ({@code result} set) or failed ({@code failure} set), the coalesced
 * Service and EndpointSlice events it applied (or tried to), how many services changed, the
 * network-programming latency (sync end minus the oldest change it applied; null when it
 * applied no change) and how many stale conntrack flows it handed to the cleaner.
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
    int staleFlows) {

  public boolean succeeded() {
    return failure == null;
  }
}
