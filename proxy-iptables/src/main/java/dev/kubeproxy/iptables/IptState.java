package dev.kubeproxy.iptables;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.kit.SharedObjects;

/**
 * What the backend last committed to one family's tables, so that a partial sync needs no
 * {@code iptables-save}: each service port's rules and chains, the table-wide facts the fixed
 * rules were built from, and the endpoint-chain count that decides large-cluster mode.
 * Immutable; updates share structure, so their cost follows the change.
 */
public final class IptState {
  /** Above this many endpoint chains, rules carry no per-endpoint comments (as upstream). */
  public static final int LARGE_CLUSTER_ENDPOINTS = 1000;

  private final ForwardingTable facts;
  private final PersistentMap<ServicePortKey, EntryRules> entries;
  private final SharedObjects<ServicePortKey, IpAddress, IptRule> clusterIpRejects;
  private final int endpointChains;
  private final boolean largeCluster;

  IptState(ForwardingTable facts, PersistentMap<ServicePortKey, EntryRules> entries,
      SharedObjects<ServicePortKey, IpAddress, IptRule> clusterIpRejects,
      int endpointChains, boolean largeCluster) {
    this.facts = facts;
    this.entries = entries;
    this.clusterIpRejects = clusterIpRejects;
    this.endpointChains = endpointChains;
    this.largeCluster = largeCluster;
  }

  ForwardingTable facts() {
    return facts;
  }

  PersistentMap<ServicePortKey, EntryRules> entries() {
    return entries;
  }

  /** The KUBE-CLUSTER-IPS rules, one per ClusterIP, claimed by every port using it. */
  SharedObjects<ServicePortKey, IpAddress, IptRule> clusterIpRejects() {
    return clusterIpRejects;
  }

  /** How many KUBE-SEP chains the committed rules have. */
  public int endpointChains() {
    return endpointChains;
  }

  /** Whether per-endpoint comments were left out. */
  public boolean largeCluster() {
    return largeCluster;
  }
}
