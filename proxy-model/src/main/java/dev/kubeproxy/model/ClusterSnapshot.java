package dev.kubeproxy.model;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.Service;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * An immutable view of the inputs at one instant: Services by name, EndpointSlices grouped by
 * owning service, and this proxy's Node (null until known). Successive snapshots share
 * structure, so taking one costs O(changes).
 */
public final class ClusterSnapshot {
  public static final ClusterSnapshot EMPTY =
      new ClusterSnapshot(PersistentMap.empty(), PersistentMap.empty(), null);

  private final PersistentMap<NamespacedName, Service> services;
  private final PersistentMap<NamespacedName, Map<NamespacedName, EndpointSlice>> slicesByService;
  private final Node node;
  // Derived from services alone; memoised so that successive table updates derive it in O(changes).
  private volatile FrontendClaims claims;

  public ClusterSnapshot(
      PersistentMap<NamespacedName, Service> services,
      PersistentMap<NamespacedName, Map<NamespacedName, EndpointSlice>> slicesByService,
      Node node) {
    this.services = services;
    this.slicesByService = slicesByService;
    this.node = node;
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

  /** The memoised frontend claims of this snapshot's services, or null when not yet computed. */
  FrontendClaims claims() {
    return claims;
  }

  void claims(FrontendClaims claims) {
    this.claims = claims;
  }
}
