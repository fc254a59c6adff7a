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
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
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
    Objects.requireNonNull(service, "service");
    serviceEvents++;
    if (service.equals(services.get(service.id()))) {
      return;
    }
    services = services.with(service.id(), service);
    markChanged(service.id());
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
    Objects.requireNonNull(slice, "slice");
    endpointEvents++;
    NamespacedName id = slice.id();
    NamespacedName oldOwner = sliceOwners.get(id);
    NamespacedName newOwner = slice.serviceId();
    if (oldOwner != null && oldOwner.equals(newOwner) && slice.equals(slices.get(oldOwner).get(id))) {
      return;
    }
    if (oldOwner != null && !oldOwner.equals(newOwner)) {
      removeFromGroup(oldOwner, id);
      markChanged(oldOwner);
    }
    if (newOwner == null) {
      sliceOwners.remove(id);
      return;
    }
    Map<NamespacedName, EndpointSlice> group = new HashMap<>(groupOf(newOwner));
    group.put(id, slice);
    slices = slices.with(newOwner, ImmutableMap.copyOf(group));
    sliceOwners.put(id, newOwner);
    markChanged(newOwner);
  }

  public synchronized void deleteEndpointSlice(NamespacedName id) {
    Objects.requireNonNull(id, "id");
    endpointEvents++;
    NamespacedName owner = sliceOwners.remove(id);
    if (owner != null) {
      removeFromGroup(owner, id);
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

  private Map<NamespacedName, EndpointSlice> groupOf(NamespacedName service) {
    Map<NamespacedName, EndpointSlice> group = slices.get(service);
    return group == null ? Map.of() : group;
  }

  private void removeFromGroup(NamespacedName service, NamespacedName sliceId) {
    Map<NamespacedName, EndpointSlice> group = new HashMap<>(groupOf(service));
    group.remove(sliceId);
    slices = slices.with(service, group.isEmpty() ? null : ImmutableMap.copyOf(group));
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
