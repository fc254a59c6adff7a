package dev.kubeproxy.model;

import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.Service;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable view of the inputs at one instant: Services by name, EndpointSlices grouped by
 * owning service, this proxy's Node (null until known) and the service CIDRs of every
 * ServiceCIDR object. Successive snapshots share structure, so taking one costs O(changes).
 */
public final class ClusterSnapshot {
  public static final ClusterSnapshot EMPTY =
      new ClusterSnapshot(PersistentMap.empty(), PersistentMap.empty(), null);

  private final PersistentMap<NamespacedName, Service> services;
  private final PersistentMap<NamespacedName, Map<NamespacedName, EndpointSlice>> slicesByService;
  private final Node node;
  private final ImmutableSortedSet<Cidr> serviceCidrs;
  // Derived from services alone; memoised so that successive table updates derive it in O(changes).
  private volatile FrontendClaims claims;

  public ClusterSnapshot(
      PersistentMap<NamespacedName, Service> services,
      PersistentMap<NamespacedName, Map<NamespacedName, EndpointSlice>> slicesByService,
      Node node) {
    this(services, slicesByService, node, ImmutableSortedSet.of());
  }

  public ClusterSnapshot(
      PersistentMap<NamespacedName, Service> services,
      PersistentMap<NamespacedName, Map<NamespacedName, EndpointSlice>> slicesByService,
      Node node,
      ImmutableSortedSet<Cidr> serviceCidrs) {
    this.services = services;
    this.slicesByService = slicesByService;
    this.node = node;
    this.serviceCidrs = Objects.requireNonNull(serviceCidrs, "serviceCidrs");
  }

  public Map<NamespacedName, Service> services() {
    return services;
  }

  public Service service(NamespacedName id) {
    return services.get(id);
  }

  /** The slices labelled for {@code service}, in unspecified order (empty when none). */
  public Collection<EndpointSlice> slices(NamespacedName service) {
    Map<NamespacedName, EndpointSlice> slices = slicesByService.get(service);
    return slices == null ? List.of() : slices.values();
  }

  public PersistentMap<NamespacedName, Service> serviceMap() {
    return services;
  }

  public PersistentMap<NamespacedName, Map<NamespacedName, EndpointSlice>> sliceMap() {
    return slicesByService;
  }

  /** This proxy's Node, or null when not (yet) known. */
  public Node node() {
    return node;
  }

  /** The CIDRs of every ServiceCIDR object (both families), sorted; empty when none is known. */
  public ImmutableSortedSet<Cidr> serviceCidrs() {
    return serviceCidrs;
  }

  /** The service CIDRs of {@code family}. */
  public ImmutableSortedSet<Cidr> serviceCidrs(IpFamily family) {
    return serviceCidrs.stream()
        .filter(c -> c.family() == family)
        .collect(ImmutableSortedSet.toImmutableSortedSet(Comparator.naturalOrder()));
  }

  /** The memoised frontend claims of this snapshot's services, or null when not yet computed. */
  FrontendClaims claims() {
    return claims;
  }

  void claims(FrontendClaims claims) {
    this.claims = claims;
  }
}
