package dev.kubeproxy.jmh;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EndpointSlice;

/**
 * A precomputed, endlessly repeatable sequence of "one endpoint changed" slice events spread
 * over a workload's services: service k's slice with a moved endpoint, then its original slice
 * again. Alternating keeps every event a real change however many times the ring wraps, and
 * keeps building the event out of the measured time.
 */
public final class OneEndpointChanges {
  private final ImmutableList<EndpointSlice> events;
  private int next;

  private OneEndpointChanges(ImmutableList<EndpointSlice> events) {
    this.events = events;
  }

  /** {@code services} distinct services of {@code workload}, evenly spaced, two events each. */
  public static OneEndpointChanges of(Workload workload, int services) {
    int total = workload.services().size();
    Preconditions.checkArgument(services > 0 && services <= total, "services %s", services);
    ImmutableList.Builder<EndpointSlice> events = ImmutableList.builder();
    for (int k = 0; k < services; k++) {
      int index = (int) ((long) k * total / services);
      events.add(workload.withOneEndpointChanged(index));
      events.add(workload.slices().get(index));
    }
    return new OneEndpointChanges(events.build());
  }

  /** How many events make one full pass of the ring. */
  public int size() {
    return events.size();
  }

  /** The next event of the ring. */
  public EndpointSlice next() {
    EndpointSlice event = events.get(next);
    next = (next + 1) % events.size();
    return event;
  }
}
