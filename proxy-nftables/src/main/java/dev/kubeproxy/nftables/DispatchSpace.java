package dev.kubeproxy.nftables;

/**
 * A namespace of DNAT lookups. Each space is a verdict map and a chain of one name: chain
 * {@code service-ips} looks the frontend up in map {@code service-ips}, which sends it with one
 * lookup to its endpoint-count group's chain or to its ClientIP affinity chain, so a packet's
 * cost does not depend on how many groups exist. A group is likewise a map and a chain of one
 * name: map {@code service-ips-3} holds {@code address . proto . port . i : endpoint} for every
 * frontend whose list has 3 endpoints, and chain {@code service-ips-3} DNATs through it with
 * {@code numgen random mod 3}.
 */
enum DispatchSpace {
  /**
   * ClusterIPs (internal list), ExternalIPs and LoadBalancer IPs of externalTrafficPolicy=Cluster
   * services (external list).
   */
  SERVICE_IPS("service-ips", true),
  /** NodePorts of externalTrafficPolicy=Cluster services (external list). */
  SERVICE_NODEPORTS("service-nodeports", false),
  /**
   * ExternalIPs and LB IPs of externalTrafficPolicy=Local services (external list: local
   * endpoints), for traffic that is not short-circuited; a space of their own, so that only
   * Local frontends pay for the policy lookup.
   */
  LOCAL_IPS("local-ips", true),
  /** NodePorts of externalTrafficPolicy=Local services (external list), likewise. */
  LOCAL_NODEPORTS("local-nodeports", false),
  /** ExternalIPs and LB IPs of externalTrafficPolicy=Local services, for pod and host traffic. */
  SHORT_CIRCUIT_IPS("short-circuit-ips", true),
  /** NodePorts of externalTrafficPolicy=Local services, for pod and host traffic. */
  SHORT_CIRCUIT_NODEPORTS("short-circuit-nodeports", false);

  private final String chain;
  private final boolean byAddress;

  DispatchSpace(String chain, boolean byAddress) {
    this.chain = chain;
    this.byAddress = byAddress;
  }

  /** The chain (and name prefix) of this space. */
  String chain() {
    return chain;
  }

  /** Whether keys start with the destination address (else they are NodePort keys). */
  boolean byAddress() {
    return byAddress;
  }

  /** The verdict map of this space: frontend to {@code goto} its group or affinity chain. */
  String dispatchMap() {
    return chain;
  }

  String groupMap(int size) {
    return Group.plain(this, size).name();
  }

  /** The dynamic set of clients remembered by this space's ClientIP affinity groups. */
  String clientSet() {
    return chain + "-affinity";
  }

  /**
   * The dynamic map from a remembered client (as {@link #clientSet}, without the slot) to its
   * slot number plus one, which the affinity groups carry in {@code meta mark}.
   */
  String slotMap() {
    return chain + "-affinity-slot";
  }

  /** The interval set of this space's affinity frontends' random pick ranges. */
  String pickSet() {
    return chain + "-affinity-pick";
  }

  /** The key expression of this space's lookups. */
  String keyExpression(FamilySyntax syntax) {
    return byAddress ? syntax.addressKey() : FamilySyntax.portKey();
  }

}
