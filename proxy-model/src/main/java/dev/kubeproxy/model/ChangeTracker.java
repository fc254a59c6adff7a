package dev.kubeproxy.model;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Thread-safe intake of Service, EndpointSlice, Node and ServiceCIDR events. Coalesces them: a sync asks
 * {@link #drain()} for the current snapshot and the set of services that changed since the
 * previous drain. Also tracks whether the Service and EndpointSlice sources completed their
 * initial listing (nothing may be programmed before both have).
 *
 * <p>State lives in persistent maps, so an event and a drain cost O(changes), not O(cluster).
 * Slices are grouped by the service named in their {@code kubernetes.io/service-name} label; a
 * slice without the label belongs to no service. An upsert equal to what is stored changes
 * nothing. The event counters of {@link PendingChanges} count every event received (as
 * upstream's {@code *_changes_total} metrics do), no-ops included; only real changes make
 * {@link #hasPendingChanges()} true and set the oldest-change time.
 */
public final class ChangeTracker {
  private final Clock clock;

  private PersistentMap<NamespacedName, Service> services = PersistentMap.empty();
  private PersistentMap<NamespacedName, Map<NamespacedName, EndpointSlice>> slices = PersistentMap.empty();
  // Which service each stored slice is grouped under (slices without a label are not stored).
  private final Map<NamespacedName, NamespacedName> sliceOwners = new HashMap<>();
  private Node node;
  private final Map<String, ServiceCidr> serviceCidrObjects = new HashMap<>();
  private ImmutableSortedSet<Cidr> serviceCidrs = ImmutableSortedSet.of();

  private Set<NamespacedName> changed = new LinkedHashSet<>();
  private boolean nodeChanged;
  private boolean serviceCidrsChanged;
  private int serviceEvents;
  private int endpointEvents;
  private Instant oldestChange;

  private boolean servicesSynced;
  private boolean endpointSlicesSynced;

  public ChangeTracker(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public synchronized void upsertService(Service service) {
    upsertServices(List.of(Objects.requireNonNull(service, "service")));
  }

  /**
   * Upserts {@code batch} in its order, as that many {@link #upsertService} calls would, in one
   * update of the stored map (a first feed of 10k Services, one copy of the map instead of 10k).
   */
  public synchronized void upsertServices(Collection<Service> batch) {
    Map<NamespacedName, Service> updates = new HashMap<>();
    for (Service service : batch) {
      Objects.requireNonNull(service, "service");
      serviceEvents++;
      NamespacedName id = service.id();
      Service current = updates.containsKey(id) ? updates.get(id) : services.get(id);
      if (!service.equals(current)) {
        updates.put(id, service);
        markChanged(id);
      }
    }
    services = services.with(updates);
  }

  public synchronized void deleteService(NamespacedName id) {
    Objects.requireNonNull(id, "id");
    serviceEvents++;
    if (services.containsKey(id)) {
      services = services.with(id, null);
      markChanged(id);
    }
  }

  public synchronized void upsertEndpointSlice(EndpointSlice slice) {
    upsertEndpointSlices(List.of(Objects.requireNonNull(slice, "slice")));
  }

  /**
   * Upserts {@code batch} in its order, as that many {@link #upsertEndpointSlice} calls would, in
   * one update of the stored groups.
   */
  public synchronized void upsertEndpointSlices(Collection<EndpointSlice> batch) {
    GroupEdits groups = new GroupEdits();
    for (EndpointSlice slice : batch) {
      Objects.requireNonNull(slice, "slice");
      endpointEvents++;
      NamespacedName id = slice.id();
      NamespacedName oldOwner = sliceOwners.get(id);
      NamespacedName newOwner = slice.serviceId();
      if (oldOwner != null && oldOwner.equals(newOwner) && slice.equals(groups.get(oldOwner).get(id))) {
        continue;
      }
      if (oldOwner != null && !oldOwner.equals(newOwner)) {
        groups.edit(oldOwner).remove(id);
        markChanged(oldOwner);
      }
      if (newOwner == null) {
        sliceOwners.remove(id);
        continue;
      }
      groups.edit(newOwner).put(id, slice);
      sliceOwners.put(id, newOwner);
      markChanged(newOwner);
    }
    groups.commit();
  }

  public synchronized void deleteEndpointSlice(NamespacedName id) {
    Objects.requireNonNull(id, "id");
    endpointEvents++;
    NamespacedName owner = sliceOwners.remove(id);
    if (owner != null) {
      GroupEdits groups = new GroupEdits();
      groups.edit(owner).remove(id);
      groups.commit();
      markChanged(owner);
    }
  }

  /** Service events received since the last {@link #drain()} (for the pending-changes metric). */
  public synchronized int pendingServiceEvents() {
    return serviceEvents;
  }

  /** EndpointSlice events received since the last {@link #drain()}. */
  public synchronized int pendingEndpointEvents() {
    return endpointEvents;
  }

  /** This proxy's Node as last given to {@link #updateNode}, or null. */
  public synchronized Node node() {
    return node;
  }

  /** Sets this proxy's Node (null: the Node is gone). */
  public synchronized void updateNode(Node node) {
    Node old = this.node;
    this.node = node;
    if (tableFactsDiffer(old, node)) {
      if (!hasPendingChanges()) {
        oldestChange = clock.instant();
      }
      nodeChanged = true;
    }
  }

  /**
   * Stores a ServiceCIDR object; when the union of every object's CIDRs changes, the next drain
   * reports it (a table-wide fact: tables are rebuilt).
   */
  public synchronized void upsertServiceCidr(ServiceCidr cidr) {
    Objects.requireNonNull(cidr, "cidr");
    serviceCidrObjects.put(cidr.name(), cidr);
    updateServiceCidrs();
  }

  /** Forgets the ServiceCIDR object {@code name}. */
  public synchronized void deleteServiceCidr(String name) {
    Objects.requireNonNull(name, "name");
    if (serviceCidrObjects.remove(name) != null) {
      updateServiceCidrs();
    }
  }

  /** The CIDRs of every ServiceCIDR object given, sorted. */
  public synchronized ImmutableSortedSet<Cidr> serviceCidrs() {
    return serviceCidrs;
  }

  private void updateServiceCidrs() {
    ImmutableSortedSet<Cidr> union = serviceCidrObjects.values().stream()
        .flatMap(c -> c.cidrs().stream())
        .collect(ImmutableSortedSet.toImmutableSortedSet(Comparator.naturalOrder()));
    if (!union.equals(serviceCidrs)) {
      if (!hasPendingChanges()) {
        oldestChange = clock.instant();
      }
      serviceCidrs = union;
      serviceCidrsChanged = true;
    }
  }

  public synchronized void markServicesSynced() {
    servicesSynced = true;
  }

  public synchronized void markEndpointSlicesSynced() {
    endpointSlicesSynced = true;
  }

  /** True once both the Service and the EndpointSlice sources completed their first listing. */
  public synchronized boolean initialListingDone() {
    return servicesSynced && endpointSlicesSynced;
  }

  /** Whether events arrived since the last drain. */
  public synchronized boolean hasPendingChanges() {
    return !changed.isEmpty() || nodeChanged || serviceCidrsChanged;
  }

  /** Takes the pending changes (and resets them) together with the current snapshot. */
  public synchronized PendingChanges drain() {
    PendingChanges pending =
        new PendingChanges(
            new ClusterSnapshot(services, slices, node, serviceCidrs),
            ImmutableSet.copyOf(changed),
            nodeChanged,
            serviceCidrsChanged,
            serviceEvents,
            endpointEvents,
            oldestChange);
    changed = new LinkedHashSet<>();
    nodeChanged = false;
    serviceCidrsChanged = false;
    serviceEvents = 0;
    endpointEvents = 0;
    oldestChange = null;
    return pending;
  }

  Clock clock() {
    return clock;
  }

  private void markChanged(NamespacedName service) {
    if (!hasPendingChanges()) {
      oldestChange = clock.instant();
    }
    changed.add(service);
  }

  /** Slice groups being edited: copies of those touched, written back in one map update. */
  private final class GroupEdits {
    private final Map<NamespacedName, Map<NamespacedName, EndpointSlice>> edited = new HashMap<>();

    Map<NamespacedName, EndpointSlice> get(NamespacedName service) {
      Map<NamespacedName, EndpointSlice> group = edited.get(service);
      if (group == null) {
        group = slices.get(service);
      }
      return group == null ? Map.of() : group;
    }

    Map<NamespacedName, EndpointSlice> edit(NamespacedName service) {
      return edited.computeIfAbsent(service, s -> {
        Map<NamespacedName, EndpointSlice> stored = slices.get(s);
        return stored == null ? new HashMap<>() : new HashMap<>(stored);
      });
    }

    void commit() {
      Map<NamespacedName, Map<NamespacedName, EndpointSlice>> updates = new HashMap<>();
      edited.forEach((service, group) ->
          updates.put(service, group.isEmpty() ? null : ImmutableMap.copyOf(group)));
      slices = slices.with(updates);
    }
  }

  /** Whether the Node facts tables depend on differ: presence, zone, addresses, pod CIDRs. */
  private static boolean tableFactsDiffer(Node a, Node b) {
    if (a == null || b == null) {
      return a != b;
    }
    return !Objects.equals(a.zone(), b.zone())
        || !a.addresses().equals(b.addresses())
        || !a.podCidrs().equals(b.podCidrs());
  }
}
