package dev.kubeproxy.model.conntrack;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pure: which UDP conntrack flows a sync made stale (upstream's conntrack cleanup, DESIGN §5).
 * A UDP frontend (service IP and port, or NodePort) is "served" by every serving endpoint of
 * its entry ({@link ServiceEntry#servingAddresses()}); traffic policy, topology and the
 * terminating fallback do not narrow that, so graceful termination keeps its flows. After a sync, flows to a frontend whose reply source served it
 * before and does not now are stale (N to fewer, N to 0, the service or frontend removed).
 * When a frontend goes from no endpoint to some, flows to it that were never DNATed are stale.
 */
public final class StaleFlows {
  private StaleFlows() {}

  /** Stale flows between two tables, comparing every key (O(table size)). */
  public static ImmutableList<StaleFlow> between(ForwardingTable previous, ForwardingTable next) {
    Set<ServicePortKey> changed = new HashSet<>();
    for (Map.Entry<ServicePortKey, ServiceEntry> e : previous.entries().entrySet()) {
      if (!e.getValue().equals(next.entry(e.getKey()))) {
        changed.add(e.getKey());
      }
    }
    for (ServicePortKey key : next.entries().keySet()) {
      if (!previous.entries().containsKey(key)) {
        changed.add(key);
      }
    }
    return between(previous, next, changed);
  }

  /** Stale flows between two tables looking only at {@code changedKeys} (O(changed)). */
  public static ImmutableList<StaleFlow> between(
      ForwardingTable previous, ForwardingTable next, Collection<ServicePortKey> changedKeys) {
    IpFamily family = previous.family();
    checkArgument(next.family() == family, "tables of different families");
    Map<Target, Set<IpAddress>> before = new HashMap<>();
    Map<Target, Set<IpAddress>> after = new HashMap<>();
    for (ServicePortKey key : changedKeys) {
      if (key.protocol() != Protocol.UDP) {
        continue;
      }
      addServing(previous.entry(key), before);
      addServing(next.entry(key), after);
    }
    List<StaleFlow> stale = new ArrayList<>();
    for (Map.Entry<Target, Set<IpAddress>> e : before.entrySet()) {
      Set<IpAddress> still = after.getOrDefault(e.getKey(), Set.of());
      for (IpAddress endpoint : e.getValue()) {
        if (!still.contains(endpoint)) {
          stale.add(e.getKey().flow(family, endpoint));
        }
      }
    }
    for (Map.Entry<Target, Set<IpAddress>> e : after.entrySet()) {
      if (!e.getValue().isEmpty() && before.getOrDefault(e.getKey(), Set.of()).isEmpty()) {
        stale.add(e.getKey().flow(family, null));
      }
    }
    stale.sort(null);
    return ImmutableList.copyOf(stale);
  }

  private static void addServing(ServiceEntry entry, Map<Target, Set<IpAddress>> into) {
    if (entry == null) {
      return;
    }
    Set<IpAddress> serving = entry.servingAddresses();
    for (Frontend f : entry.frontends()) {
      if (f.protocol() == Protocol.UDP) {
        into.computeIfAbsent(new Target(f.address(), f.port()), t -> new HashSet<>())
            .addAll(serving);
      }
    }
  }

  /** What conntrack sees of a UDP frontend: its address (null for a NodePort) and port. */
  private record Target(IpAddress address, int port) {
    StaleFlow flow(IpFamily family, IpAddress endpoint) {
      return new StaleFlow(family, Protocol.UDP, address, port, endpoint);
    }
  }
}
