package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.model.ServiceFrontends.Candidate;
import dev.kubeproxy.model.ServiceFrontends.Slot;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which service ports ask for each frontend slot, in both families. When several do, the
 * smallest key owns it and the others lose that frontend: a rule independent of event order, so
 * an incremental update and a full build agree. Derived from Services alone (no config), so it
 * can be updated in O(changes) from one snapshot to the next.
 */
final class FrontendClaims {
  private static final IpFamily[] FAMILIES = IpFamily.values();

  private final PersistentMap<Slot, ImmutableSortedSet<ServicePortKey>> claimants;

  private FrontendClaims(PersistentMap<Slot, ImmutableSortedSet<ServicePortKey>> claimants) {
    this.claimants = claimants;
  }

  /** The claims of every service in {@code snapshot}, memoised on the snapshot. */
  static FrontendClaims of(ClusterSnapshot snapshot) {
    FrontendClaims memo = snapshot.claims();
    if (memo == null) {
      memo = compute(snapshot.services().values());
      snapshot.claims(memo);
    }
    return memo;
  }

  /**
   * The claims of {@code next}, derived from those of {@code previous} when only
   * {@code changed} services differ between the two snapshots; memoised on {@code next}.
   */
  static FrontendClaims of(ClusterSnapshot previous, ClusterSnapshot next, Set<NamespacedName> changed) {
    FrontendClaims memo = next.claims();
    if (memo == null) {
      memo = of(previous).update(previous, next, changed);
      next.claims(memo);
    }
    return memo;
  }

  private static FrontendClaims compute(Collection<Service> services) {
    Map<Slot, TreeSet<ServicePortKey>> all = new HashMap<>();
    for (Service service : services) {
      forEachClaim(service, (slot, key) -> all.computeIfAbsent(slot, s -> new TreeSet<>()).add(key));
    }
    Map<Slot, ImmutableSortedSet<ServicePortKey>> frozen = new HashMap<>();
    all.forEach((slot, keys) -> frozen.put(slot, ImmutableSortedSet.copyOf(keys)));
    return new FrontendClaims(PersistentMap.copyOf(frozen));
  }

  private FrontendClaims update(ClusterSnapshot previous, ClusterSnapshot next, Set<NamespacedName> changed) {
    Map<Slot, TreeSet<ServicePortKey>> touched = new HashMap<>();
    for (NamespacedName id : changed) {
      forEachClaim(previous.service(id), (slot, key) -> mutable(touched, slot).remove(key));
    }
    for (NamespacedName id : changed) {
      forEachClaim(next.service(id), (slot, key) -> mutable(touched, slot).add(key));
    }
    Map<Slot, ImmutableSortedSet<ServicePortKey>> changes = new HashMap<>();
    touched.forEach((slot, keys) -> changes.put(slot, keys.isEmpty() ? null : ImmutableSortedSet.copyOf(keys)));
    return new FrontendClaims(claimants.with(changes));
  }

  private TreeSet<ServicePortKey> mutable(Map<Slot, TreeSet<ServicePortKey>> touched, Slot slot) {
    return touched.computeIfAbsent(
        slot,
        s -> {
          ImmutableSortedSet<ServicePortKey> current = claimants.get(s);
          return current == null ? new TreeSet<>() : new TreeSet<>(current);
        });
  }

  private interface ClaimSink {
    void claim(Slot slot, ServicePortKey key);
  }

  private static void forEachClaim(Service service, ClaimSink sink) {
    if (service == null) {
      return;
    }
    for (IpFamily family : FAMILIES) {
      ServiceFrontends.of(service, family)
          .forEach(
              (key, candidates) -> {
                for (Candidate c : candidates) {
                  sink.claim(c.slot(family), key);
                }
              });
    }
  }

  /** The service port that owns {@code slot}, or null when nobody claims it. */
  ServicePortKey owner(Slot slot) {
    ImmutableSortedSet<ServicePortKey> keys = claimants.get(slot);
    return keys == null ? null : keys.first();
  }

  /** The slots {@code service} claims in {@code family}. */
  static ImmutableList<Slot> slots(Service service, IpFamily family) {
    ImmutableList.Builder<Slot> slots = ImmutableList.builder();
    for (ImmutableList<Candidate> candidates : ServiceFrontends.of(service, family).values()) {
      for (Candidate c : candidates) {
        slots.add(c.slot(family));
      }
    }
    return slots.build();
  }
}
