package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The proxy core: the listeners, keyed by {@link ListenerSpec}, on a set of selector threads
 * started with the first listener, and the counters of each service port that has one. Changed
 * from one thread (the sync thread); read from any.
 */
final class UserspaceProxy implements Listeners, UserspaceMetrics, AutoCloseable {
  private final UserspaceConfig config;
  private final LongSupplier nanoClock;
  private Loops loops;
  private final Map<ListenerSpec, Listener> listeners = new ConcurrentHashMap<>();
  private final Map<ServicePortKey, PortCounters> counters = new ConcurrentHashMap<>();
  private final Map<ServicePortKey, Integer> listenersPerKey = new ConcurrentHashMap<>();

  UserspaceProxy(UserspaceConfig config, LongSupplier nanoClock) {
    this.config = config;
    this.nanoClock = nanoClock;
  }

  @Override
  public void put(ListenerSpec spec, EndpointList endpoints, SessionAffinity affinity) throws IOException {
    Listener existing = listeners.get(spec);
    if (existing != null) {
      existing.apply(endpoints, affinity);
      return;
    }
    if (loops == null) {
      loops = new Loops(config.threads(), config.bufferBytes());
    }
    PortCounters portCounters = counters.computeIfAbsent(spec.key(), k -> new PortCounters());
    EndpointPicker picker = new EndpointPicker(nanoClock);
    Listener listener =
        spec.key().protocol() == Protocol.UDP
            ? new UdpListener(spec, loops, config, picker, portCounters)
            : new TcpListener(spec, loops, config, picker, portCounters);
    listenersPerKey.merge(spec.key(), 1, Integer::sum);
    listeners.put(spec, listener);
    try {
      listener.apply(endpoints, affinity);
    } catch (IOException e) {
      remove(spec);
      throw e;
    }
  }

  @Override
  public void remove(ListenerSpec spec) {
    Listener listener = listeners.remove(spec);
    if (listener == null) {
      return;
    }
    listener.close();
    if (listenersPerKey.merge(spec.key(), -1, Integer::sum) <= 0) {
      listenersPerKey.remove(spec.key());
      counters.remove(spec.key());
    }
  }

  @Override
  public ImmutableSet<ListenerSpec> specs(IpFamily family) {
    ImmutableSet.Builder<ListenerSpec> out = ImmutableSet.builder();
    for (ListenerSpec spec : listeners.keySet()) {
      if (spec.family() == family) {
        out.add(spec);
      }
    }
    return out.build();
  }

  /** The bound address of {@code spec}'s listener, or null if it has none. */
  InetSocketAddress localAddress(ListenerSpec spec) {
    Listener listener = listeners.get(spec);
    return listener == null || !listener.bound() ? null : listener.localAddress();
  }

  /** Every listener's bound address by service port, sorted by key. */
  ImmutableMap<ServicePortKey, ImmutableList<InetSocketAddress>> localAddresses() {
    Map<ServicePortKey, List<InetSocketAddress>> byKey = new TreeMap<>();
    for (Listener listener : listeners.values()) {
      // A listener is in the map before its first bind; until then it has no address.
      if (listener.bound()) {
        byKey.computeIfAbsent(listener.spec.key(), k -> new ArrayList<>()).add(listener.localAddress());
      }
    }
    ImmutableSortedMap.Builder<ServicePortKey, ImmutableList<InetSocketAddress>> result =
        ImmutableSortedMap.naturalOrder();
    byKey.forEach(
        (key, addresses) -> {
          addresses.sort((a, b) -> a.toString().compareTo(b.toString()));
          result.put(key, ImmutableList.copyOf(addresses));
        });
    return result.build();
  }

  @Override
  public ImmutableMap<ServicePortKey, ServicePortStats> snapshot() {
    ImmutableSortedMap.Builder<ServicePortKey, ServicePortStats> result = ImmutableSortedMap.naturalOrder();
    counters.forEach((key, c) -> result.put(key, c.stats()));
    return result.build();
  }

  /** Closes every listener and connection and stops the selector threads; usable again after. */
  @Override
  public void close() {
    for (ListenerSpec spec : List.copyOf(listeners.keySet())) {
      remove(spec);
    }
    if (loops != null) {
      loops.close();
      loops = null;
    }
  }
}
