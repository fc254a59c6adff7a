package dev.kubeproxy.model.sync;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.PendingChanges;
import dev.kubeproxy.model.TableUpdate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A stand-in {@link TableSource} for sync-engine tests: the "cluster" is a map from service to
 * ready-made {@link ServiceEntry}s, each drain hands out a fresh snapshot object standing for
 * that state, and build/update derive tables from it the way the real builder's contract says
 * (update touches only the changed services' keys). Records its calls.
 */
final class FakeTableSource implements TableSource {
  private final Scheduler clock;
  private final Map<NamespacedName, List<ServiceEntry>> world = new HashMap<>();
  private final Map<ClusterSnapshot, Map<NamespacedName, List<ServiceEntry>>> versions =
      new IdentityHashMap<>();
  private final Set<NamespacedName> changed = new HashSet<>();
  private int serviceEvents;
  private Instant oldest;
  private boolean nodeChanged;
  private boolean serviceCidrsChanged;
  private RuntimeException failNextTableWork;

  boolean ready = true;
  /** "build V4" or "update V4 [ns/a, ns/b]", in call order. */
  final List<String> calls = new ArrayList<>();

  FakeTableSource(Scheduler clock) {
    versions.put(ClusterSnapshot.EMPTY, Map.of());
    this.clock = clock;
  }

  /** Sets the entries of the service(s) the given entries belong to. */
  void put(ServiceEntry... entries) {
    Map<NamespacedName, List<ServiceEntry>> byService = new HashMap<>();
    for (ServiceEntry e : entries) {
      byService.computeIfAbsent(e.key().service(), s -> new ArrayList<>()).add(e);
    }
    for (Map.Entry<NamespacedName, List<ServiceEntry>> e : byService.entrySet()) {
      world.put(e.getKey(), List.copyOf(e.getValue()));
      queued(e.getKey());
    }
  }

  void remove(NamespacedName service) {
    world.remove(service);
    queued(service);
  }

  void nodeChanged() {
    nodeChanged = true;
    if (oldest == null) {
      oldest = clock.now();
    }
  }

  void serviceCidrsChanged() {
    serviceCidrsChanged = true;
    if (oldest == null) {
      oldest = clock.now();
    }
  }

  void failNextTableWork(RuntimeException e) {
    failNextTableWork = e;
  }

  private void queued(NamespacedName service) {
    changed.add(service);
    serviceEvents++;
    if (oldest == null) {
      oldest = clock.now();
    }
  }

  @Override
  public boolean ready() {
    return ready;
  }

  @Override
  public PendingChanges drain() {
    ClusterSnapshot snapshot = new ClusterSnapshot(PersistentMap.empty(), PersistentMap.empty(), null);
    versions.put(snapshot, Map.copyOf(world));
    PendingChanges p = new PendingChanges(
        snapshot, ImmutableSet.copyOf(changed), nodeChanged, serviceCidrsChanged, serviceEvents,
        0, oldest);
    changed.clear();
    serviceEvents = 0;
    oldest = null;
    nodeChanged = false;
    serviceCidrsChanged = false;
    return p;
  }

  @Override
  public ForwardingTable build(IpFamily family, ClusterSnapshot snapshot) {
    calls.add("build " + family);
    maybeFail();
    Map<ServicePortKey, ServiceEntry> entries = new HashMap<>();
    for (List<ServiceEntry> list : versions.get(snapshot).values()) {
      for (ServiceEntry e : list) {
        if (e.family() == family) {
          entries.put(e.key(), e);
        }
      }
    }
    return ForwardingTable.empty(family).withEntries(entries);
  }

  @Override
  public TableUpdate update(
      ForwardingTable previous,
      ClusterSnapshot previousSnapshot,
      ClusterSnapshot snapshot,
      Set<NamespacedName> changedServices) {
    calls.add("update " + previous.family() + " " + new TreeSet<>(changedServices));
    maybeFail();
    Map<ServicePortKey, ServiceEntry> delta = new HashMap<>();
    for (ServicePortKey key : previous.entries().keySet()) {
      if (changedServices.contains(key.service())) {
        delta.put(key, null);
      }
    }
    Map<NamespacedName, List<ServiceEntry>> now = versions.get(snapshot);
    for (NamespacedName service : changedServices) {
      for (ServiceEntry e : now.getOrDefault(service, List.of())) {
        if (e.family() == previous.family()) {
          delta.put(e.key(), e);
        }
      }
    }
    return new TableUpdate(previous.withEntries(delta), ImmutableSet.copyOf(delta.keySet()));
  }

  private void maybeFail() {
    RuntimeException e = failNextTableWork;
    failNextTableWork = null;
    if (e != null) {
      throw e;
    }
  }
}
