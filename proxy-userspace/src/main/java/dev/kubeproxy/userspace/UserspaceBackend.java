package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The userspace backend (mode {@code userspace}): the proxy carries every connection itself
 * through listeners a {@link ListenerPlan} derives from each table entry. A partial sync
 * touches only the changed keys; a full one every key it holds or the table has. Embedded
 * ({@link #embedded}) it needs no privileges and no kernel rules, and tells the embedder where
 * each service port listens ({@link #localAddresses()}).
 *
 * <p>A sync that could not bind some listener applies everything else and then fails, naming
 * them; the next (full) sync retries them.
 */
public final class UserspaceBackend implements Backend, AutoCloseable {
  public static final String MODE = "userspace";
  private static final Logger log = LoggerFactory.getLogger(UserspaceBackend.class);

  private final ListenerPlan plan;
  private final UserspaceProxy proxy;
  private final Map<IpFamily, Map<ServicePortKey, ImmutableSet<ListenerSpec>>> programmed =
      new EnumMap<>(IpFamily.class);

  public UserspaceBackend(ListenerPlan plan, UserspaceConfig config, LongSupplier nanoClock) {
    this.plan = plan;
    this.proxy = new UserspaceProxy(config, nanoClock);
  }

  /** Embedded on {@code bindAddresses} (e.g. 127.0.0.1), ephemeral ports, default config. */
  public static UserspaceBackend embedded(List<IpAddress> bindAddresses) {
    return embedded(EmbeddedPlan.ephemeral(bindAddresses), UserspaceConfig.defaults());
  }

  public static UserspaceBackend embedded(EmbeddedPlan plan, UserspaceConfig config) {
    return new UserspaceBackend(plan, config, System::nanoTime);
  }

  @Override
  public String mode() {
    return MODE;
  }

  @Override
  public synchronized SyncResult sync(SyncRequest request) throws SyncException {
    int operations = 0;
    List<String> failures = new ArrayList<>();
    for (TableChange change : request.changes()) {
      Map<ServicePortKey, ImmutableSet<ListenerSpec>> mine =
          programmed.computeIfAbsent(change.family(), f -> new HashMap<>());
      Set<ServicePortKey> keys =
          request.full()
              ? Sets.union(ImmutableSet.copyOf(mine.keySet()), change.next().entries().keySet())
              : change.changedKeys();
      for (ServicePortKey key : ImmutableList.copyOf(keys)) {
        operations += syncKey(change, key, mine, failures);
      }
    }
    if (!failures.isEmpty()) {
      throw new SyncException("userspace listeners failed: " + String.join("; ", failures));
    }
    return new SyncResult(operations, 0);
  }

  private int syncKey(
      TableChange change,
      ServicePortKey key,
      Map<ServicePortKey, ImmutableSet<ListenerSpec>> mine,
      List<String> failures) {
    ServiceEntry entry = change.next().entry(key);
    ImmutableSet<ListenerSpec> wanted = entry == null ? ImmutableSet.of() : plan.listenersFor(entry);
    ImmutableSet<ListenerSpec> had = mine.getOrDefault(key, ImmutableSet.of());
    int operations = 0;
    for (ListenerSpec gone : Sets.difference(had, wanted)) {
      proxy.remove(gone);
      operations++;
    }
    Set<ListenerSpec> kept = new LinkedHashSet<>();
    for (ListenerSpec spec : wanted) {
      boolean existed = had.contains(spec);
      try {
        proxy.put(spec, spec.traffic().endpointsOf(entry), entry.affinity());
        kept.add(spec);
        operations++;
      } catch (IOException | RuntimeException e) {
        log.warn("{}: {}", spec, e.toString());
        failures.add(spec + ": " + e.getMessage());
        if (existed) {
          kept.add(spec); // still open, socket to be rebound by the next sync
        }
      }
    }
    if (kept.isEmpty()) {
      mine.remove(key);
    } else {
      mine.put(key, ImmutableSet.copyOf(kept));
    }
    return operations;
  }

  /**
   * The listeners a sync of {@code request} would open, one line each ({@code listen
   * default/web:http/TCP INTERNAL on 127.0.0.1:0 -> 3 endpoints}); nothing is opened.
   */
  @Override
  public synchronized String render(SyncRequest request) {
    StringBuilder out = new StringBuilder();
    for (TableChange change : request.changes()) {
      Set<ServicePortKey> keys = request.full()
          ? change.next().entries().keySet()
          : change.changedKeys();
      for (ServicePortKey key : ImmutableList.sortedCopyOf(keys)) {
        ServiceEntry entry = change.next().entry(key);
        if (entry == null) {
          out.append("close ").append(key).append('\n');
          continue;
        }
        for (ListenerSpec spec : plan.listenersFor(entry)) {
          EndpointList endpoints = spec.traffic().endpointsOf(entry);
          out.append("listen ").append(spec).append(" -> ")
              .append(endpoints.isEmpty()
                  ? endpoints.ifEmpty().toString()
                  : endpoints.endpoints().size() + " endpoints")
              .append('\n');
        }
      }
    }
    return out.toString();
  }

  /** Closes every listener and cuts every connection. */
  @Override
  public synchronized void cleanup() {
    proxy.close();
    programmed.clear();
  }

  @Override
  public void close() {
    cleanup();
  }

  /** Where each service port listens now (several addresses with several bind addresses). */
  public ImmutableMap<ServicePortKey, ImmutableList<InetSocketAddress>> localAddresses() {
    return proxy.localAddresses();
  }

  /** A local address of {@code key}'s listeners (IPv4 first), if it has one. */
  public synchronized Optional<InetSocketAddress> localAddress(ServicePortKey key) {
    for (Map<ServicePortKey, ImmutableSet<ListenerSpec>> family : programmed.values()) {
      for (ListenerSpec spec : family.getOrDefault(key, ImmutableSet.of())) {
        InetSocketAddress address = proxy.localAddress(spec);
        if (address != null) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }

  /** {@link #localAddresses()} as JSON (see {@link LocalAddressesJson}). */
  public String localAddressesJson() {
    return LocalAddressesJson.render(localAddresses());
  }

  /** Per-service-port counters, read-only. */
  public UserspaceMetrics metrics() {
    return proxy;
  }
}
