package dev.kubeproxy.model.conformance;

/**
 * A behaviour some conformance tests assert and a backend may lack; a backend that lacks one
 * names it in its {@link Exclusions}, so the tests that {@link Requires} it print why they did
 * not run instead of failing or being skipped.
 */
public enum Capability {
  /** What must be rejected (no endpoints, unknown ClusterIP port) gets a reset or ICMP error. */
  REJECT,
  /** What must be dropped (Local policy, no local endpoint; source out of range) times out. */
  DROP,
  /** The same holds for what the node itself sends (filtered before its packets leave it). */
  DROP_FROM_NODE,
  /** An endpoint sees the client's own address wherever no masquerade is due (pods, eTP=Local). */
  SOURCE_PRESERVED,
  /** Each new connection restarts the client's ClientIP affinity timeout. */
  AFFINITY_REFRESH,
  /** An established UDP flow follows new rules once its stale conntrack entry is deleted. */
  UDP_CONNTRACK_CLEANUP,
  /** A fresh backend's first full sync replaces live rules without failing a connection. */
  HITLESS_RESTART,
  /**
   * Endpoints added, marked terminating or removed every 100 ms (upstream's pace) never fail a
   * connection to a Service that always keeps a ready endpoint.
   */
  HITLESS_CHURN,
  /** A partial sync of one endpoint change takes under 100 ms on average (upstream's churn pace). */
  CHURN_PACE,
  /**
   * Pods and the node reaching an externalTrafficPolicy Local frontend (NodePort, ExternalIP,
   * LoadBalancer IP) get the cluster-wide endpoints, as from inside the cluster.
   */
  EXTERNAL_LOCAL_SHORT_CIRCUIT,
  /** Without nodePortAddresses, a NodePort answers on every local address, not only node IPs. */
  NODE_PORT_ON_EVERY_LOCAL_ADDRESS,
  /**
   * Traffic to an address inside a ServiceCIDR that no Service holds is dropped (upstream's
   * nftables mode only; its iptables and IPVS modes route it like any other address).
   */
  UNALLOCATED_SERVICE_IP_DROP
}
