package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import java.util.List;
import java.util.Objects;

/**
 * Everything a backend needs to program one service port in one IP family (DESIGN §4).
 *
 * <p>{@code internal} is what ClusterIP traffic reaches (internalTrafficPolicy and topology
 * applied); {@code external} is what NodePort/ExternalIP/LoadBalancer traffic reaches
 * (externalTrafficPolicy applied). {@code cluster} is the cluster-wide list (topology and the
 * terminating fallback applied) that pod and host traffic short-circuits to when
 * {@code externalPolicyLocal} is set.
 *
 * <p>{@code firewallSources} is empty when the service has no loadBalancerSourceRanges;
 * otherwise it holds the allowed sources of LoadBalancer traffic (the ranges, plus the LB IPs
 * when the node's IP is inside a range). {@code healthCheckNodePort} is 0 when none.
 *
 * <p>{@code servingAddresses} are the addresses of every serving endpoint of this port in this
 * family, before traffic policy, topology or the terminating fallback narrowed the lists:
 * upstream's conntrack cleanup keeps UDP flows to any of them (graceful termination).
 */
public record ServiceEntry(
    ServicePortKey key,
    IpFamily family,
    ImmutableList<Frontend> frontends,
    EndpointList internal,
    EndpointList external,
    ImmutableList<ServiceEndpoint> cluster,
    boolean internalPolicyLocal,
    boolean externalPolicyLocal,
    SessionAffinity affinity,
    ImmutableList<Cidr> firewallSources,
    int healthCheckNodePort,
    ImmutableSet<IpAddress> servingAddresses) {

  public ServiceEntry {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(frontends, "frontends");
    Objects.requireNonNull(internal, "internal");
    Objects.requireNonNull(external, "external");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(affinity, "affinity");
    Objects.requireNonNull(firewallSources, "firewallSources");
    Objects.requireNonNull(servingAddresses, "servingAddresses");
  }

  /** An entry whose serving addresses are exactly those in its lists. */
  public ServiceEntry(
      ServicePortKey key,
      IpFamily family,
      ImmutableList<Frontend> frontends,
      EndpointList internal,
      EndpointList external,
      ImmutableList<ServiceEndpoint> cluster,
      boolean internalPolicyLocal,
      boolean externalPolicyLocal,
      SessionAffinity affinity,
      ImmutableList<Cidr> firewallSources,
      int healthCheckNodePort) {
    this(key, family, frontends, internal, external, cluster, internalPolicyLocal,
        externalPolicyLocal, affinity, firewallSources, healthCheckNodePort,
        addressesOf(internal.endpoints(), external.endpoints(), cluster));
  }

  @SafeVarargs
  private static ImmutableSet<IpAddress> addressesOf(List<ServiceEndpoint>... lists) {
    ImmutableSet.Builder<IpAddress> addresses = ImmutableSet.builder();
    for (List<ServiceEndpoint> list : lists) {
      for (ServiceEndpoint endpoint : list) {
        addresses.add(endpoint.address());
      }
    }
    return addresses.build();
  }

  /** The ClusterIP frontend's address, or null. */
  public IpAddress clusterIp() {
    for (Frontend f : frontends) {
      if (f.kind() == FrontendKind.CLUSTER_IP) {
        return f.address();
      }
    }
    return null;
  }

  /** External traffic is masqueraded unless externalTrafficPolicy is Local. */
  public boolean masqueradeExternal() {
    return !externalPolicyLocal;
  }

  /** Whether LoadBalancer traffic goes through a source-range check. */
  public boolean hasFirewall() {
    return !firewallSources.isEmpty();
  }

  /** Whether the service accepts traffic on any external frontend. */
  public boolean externallyAccessible() {
    for (Frontend f : frontends) {
      if (f.kind().external()) {
        return true;
      }
    }
    return false;
  }

  /** True when no endpoint is usable anywhere (every frontend rejects). */
  public boolean rejectsEverything() {
    return internal.isEmpty()
        && internal.ifEmpty() == EmptyVerdict.REJECT
        && external.isEmpty()
        && external.ifEmpty() == EmptyVerdict.REJECT;
  }
}
