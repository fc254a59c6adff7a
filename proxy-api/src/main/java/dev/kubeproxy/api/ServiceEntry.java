package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import java.util.Collection;
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
 * <p>{@code servingEndpoints} are every serving endpoint (address and port) of this port in this
 * family, before traffic policy, topology or the terminating fallback narrowed the lists:
 * upstream's conntrack reconciler keeps UDP flows answered by any of them (graceful termination).
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
    ImmutableSet<ServiceEndpoint> servingEndpoints) {

  public ServiceEntry {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(frontends, "frontends");
    Objects.requireNonNull(internal, "internal");
    Objects.requireNonNull(external, "external");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(affinity, "affinity");
    Objects.requireNonNull(firewallSources, "firewallSources");
    Objects.requireNonNull(servingEndpoints, "servingEndpoints");
  }

  /** A builder for an entry of {@code key} in {@code family}; see {@link Builder} for defaults. */
  public static Builder builder(ServicePortKey key, IpFamily family) {
    return new Builder(key, family);
  }

  /** A builder holding this entry, to change some of its fields. */
  public Builder toBuilder() {
    return new Builder(key, family)
        .frontends(frontends)
        .internal(internal)
        .external(external)
        .cluster(cluster)
        .internalPolicyLocal(internalPolicyLocal)
        .externalPolicyLocal(externalPolicyLocal)
        .affinity(affinity)
        .firewallSources(firewallSources)
        .healthCheckNodePort(healthCheckNodePort)
        .servingEndpoints(servingEndpoints);
  }

  /**
   * Builds a {@link ServiceEntry} by named fields. Defaults: no frontends, both endpoint lists
   * empty and rejecting, no cluster endpoints, Cluster policies, no affinity, no firewall, no
   * health-check port, and serving endpoints = every endpoint in the three lists.
   */
  public static final class Builder {
    private final ServicePortKey key;
    private final IpFamily family;
    private ImmutableList<Frontend> frontends = ImmutableList.of();
    private EndpointList internal = EndpointList.REJECTING;
    private EndpointList external = EndpointList.REJECTING;
    private ImmutableList<ServiceEndpoint> cluster = ImmutableList.of();
    private boolean internalPolicyLocal;
    private boolean externalPolicyLocal;
    private SessionAffinity affinity = SessionAffinity.NONE;
    private ImmutableList<Cidr> firewallSources = ImmutableList.of();
    private int healthCheckNodePort;
    private ImmutableSet<ServiceEndpoint> servingEndpoints;

    private Builder(ServicePortKey key, IpFamily family) {
      this.key = Objects.requireNonNull(key, "key");
      this.family = Objects.requireNonNull(family, "family");
    }

    public Builder frontends(List<Frontend> frontends) {
      this.frontends = ImmutableList.copyOf(frontends);
      return this;
    }

    public Builder frontends(Frontend... frontends) {
      return frontends(List.of(frontends));
    }

    /** What ClusterIP traffic reaches. */
    public Builder internal(EndpointList internal) {
      this.internal = Objects.requireNonNull(internal, "internal");
      return this;
    }

    /** What NodePort, ExternalIP and LoadBalancer traffic reaches. */
    public Builder external(EndpointList external) {
      this.external = Objects.requireNonNull(external, "external");
      return this;
    }

    /** The cluster-wide list that pod and host traffic short-circuits to (eTP=Local). */
    public Builder cluster(List<ServiceEndpoint> cluster) {
      this.cluster = ImmutableList.copyOf(cluster);
      return this;
    }

    public Builder internalPolicyLocal(boolean local) {
      this.internalPolicyLocal = local;
      return this;
    }

    public Builder externalPolicyLocal(boolean local) {
      this.externalPolicyLocal = local;
      return this;
    }

    public Builder affinity(SessionAffinity affinity) {
      this.affinity = Objects.requireNonNull(affinity, "affinity");
      return this;
    }

    /** Allowed sources of LoadBalancer traffic; empty means no source-range check. */
    public Builder firewallSources(List<Cidr> sources) {
      this.firewallSources = ImmutableList.copyOf(sources);
      return this;
    }

    /** The health-check NodePort, 0 when none. */
    public Builder healthCheckNodePort(int port) {
      this.healthCheckNodePort = port;
      return this;
    }

    /** Every serving endpoint before policy narrowed the lists (default: the lists'). */
    public Builder servingEndpoints(Collection<ServiceEndpoint> endpoints) {
      this.servingEndpoints = ImmutableSet.copyOf(endpoints);
      return this;
    }

    public ServiceEntry build() {
      return new ServiceEntry(key, family, frontends, internal, external, cluster,
          internalPolicyLocal, externalPolicyLocal, affinity, firewallSources, healthCheckNodePort,
          servingEndpoints != null
              ? servingEndpoints
              : endpointsOf(internal.endpoints(), external.endpoints(), cluster));
    }
  }

  @SafeVarargs
  private static ImmutableSet<ServiceEndpoint> endpointsOf(List<ServiceEndpoint>... lists) {
    ImmutableSet.Builder<ServiceEndpoint> endpoints = ImmutableSet.builder();
    for (List<ServiceEndpoint> list : lists) {
      endpoints.addAll(list);
    }
    return endpoints.build();
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
