package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.SessionAffinity;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Chooses the endpoint of each new connection to one listener, as upstream's userspace
 * round-robin balancer did: the next endpoint in turn, unless ClientIP affinity remembers one
 * for the client that was used within the timeout (the timeout restarts with each use).
 * Thread-safe: connections on every selector thread pick through it.
 */
final class EndpointPicker {
  private static final int PURGE_EVERY = 1024;

  private record Sticky(ServiceEndpoint endpoint, long lastUsedNanos) {}

  private final LongSupplier nanoClock;
  private ImmutableList<ServiceEndpoint> endpoints = ImmutableList.of();
  private SessionAffinity affinity = SessionAffinity.NONE;
  private int next;
  private int picksSincePurge;
  private final Map<InetAddress, Sticky> sticky = new HashMap<>();

  EndpointPicker(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /**
   * Takes a new endpoint list and affinity. Affinity to a removed endpoint is forgotten; the
   * turn keeps its position (modulo the new size) so churn does not favour the first endpoint.
   */
  synchronized void update(List<ServiceEndpoint> newEndpoints, SessionAffinity newAffinity) {
    if (!newAffinity.equals(affinity)) {
      sticky.clear();
    }
    affinity = newAffinity;
    if (!newEndpoints.equals(endpoints)) {
      endpoints = ImmutableList.copyOf(newEndpoints);
      ImmutableSet<ServiceEndpoint> live = ImmutableSet.copyOf(endpoints);
      sticky.values().removeIf(s -> !live.contains(s.endpoint()));
      next = endpoints.isEmpty() ? 0 : next % endpoints.size();
    }
  }

  /**
   * The endpoint for a new connection from {@code client}, or null when there is none. With
   * {@code ignoreAffinity} (a retry after a failed dial) the turn decides and the client's
   * affinity moves to the endpoint chosen.
   */
  synchronized ServiceEndpoint pick(InetAddress client, boolean ignoreAffinity) {
    if (endpoints.isEmpty()) {
      return null;
    }
    long now = nanoClock.getAsLong();
    if (affinity.clientIp()) {
      purgeNowAndThen(now);
      Sticky s = sticky.get(client);
      if (!ignoreAffinity && s != null && !expired(s, now)) {
        sticky.put(client, new Sticky(s.endpoint(), now));
        return s.endpoint();
      }
    }
    ServiceEndpoint chosen = endpoints.get(next);
    next = (next + 1) % endpoints.size();
    if (affinity.clientIp()) {
      sticky.put(client, new Sticky(chosen, now));
    }
    return chosen;
  }

  private boolean expired(Sticky s, long now) {
    return now - s.lastUsedNanos() >= TimeUnit.SECONDS.toNanos(affinity.timeoutSeconds());
  }

  /** Forgets expired affinities every so many picks, so one-off clients don't accumulate. */
  private void purgeNowAndThen(long now) {
    if (++picksSincePurge >= PURGE_EVERY) {
      picksSincePurge = 0;
      sticky.values().removeIf(s -> expired(s, now));
    }
  }

  synchronized int affinityEntries() {
    return sticky.size();
  }
}
