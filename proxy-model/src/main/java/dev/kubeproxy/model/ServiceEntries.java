package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.ServicePortSpec;
import dev.kubeproxy.api.ServiceType;
import dev.kubeproxy.api.TrafficPolicy;
import dev.kubeproxy.model.ServiceFrontends.Candidate;
import dev.kubeproxy.model.ServiceFrontends.Slot;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the forwarding-table entries of one Service in one IP family (DESIGN §5). */
final class ServiceEntries {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceEntries.class);

  private ServiceEntries() {}

  /** The entries of {@code service} (none when it is null or not proxied in the family). */
  static ImmutableMap<ServicePortKey, ServiceEntry> of(
      Service service, Collection<EndpointSlice> slices, NodeFacts facts, FrontendClaims claims) {
    IpFamily family = facts.family();
    ImmutableMap<ServicePortKey, ImmutableList<Candidate>> candidates = ServiceFrontends.of(service, family);
    if (candidates.isEmpty()) {
      return ImmutableMap.of();
    }
    MergedEndpoints endpoints = MergedEndpoints.of(service, slices, family, facts.topology().nodeName());
    ImmutableMap.Builder<ServicePortKey, ServiceEntry> entries = ImmutableMap.builder();
    for (ServicePortSpec port : service.ports()) {
      ServicePortKey key = ServiceFrontends.key(service, port);
      ImmutableList<Frontend> frontends = ownedFrontends(service, key, candidates.get(key), family, claims);
      entries.put(key, entry(service, key, port, frontends, endpoints, facts));
    }
    return entries.buildKeepingLast();
  }

  /** The candidates this port owns, each slot once; a warning names each one left out. */
  private static ImmutableList<Frontend> ownedFrontends(
      Service service,
      ServicePortKey key,
      ImmutableList<Candidate> candidates,
      IpFamily family,
      FrontendClaims claims) {
    ImmutableList.Builder<Frontend> owned = ImmutableList.builder();
    Set<Slot> seen = new HashSet<>();
    for (Candidate c : candidates) {
      Slot slot = c.slot(family);
      ServicePortKey owner = claims.owner(slot);
      if (!seen.add(slot)) {
        LOG.warn("{}: {}: {} repeats another frontend of the service; ignored",
            service.describe(), c.field(), c.frontend());
      } else if (!key.equals(owner)) {
        LOG.warn("{}: {}: {} is already used by {}; ignored",
            service.describe(), c.field(), c.frontend(), owner);
      } else {
        owned.add(c.frontend());
      }
    }
    return owned.build();
  }

  private static ServiceEntry entry(
      Service service,
      ServicePortKey key,
      ServicePortSpec port,
      ImmutableList<Frontend> frontends,
      MergedEndpoints endpoints,
      NodeFacts facts) {
    boolean externallyAccessible = frontends.stream().anyMatch(f -> f.kind().external());
    boolean internalLocal = service.internalTrafficPolicy() == TrafficPolicy.LOCAL;
    boolean externalLocal =
        externallyAccessible && typeAllowsExternalPolicy(service)
            && service.externalTrafficPolicy() == TrafficPolicy.LOCAL;
    ImmutableList<MergedEndpoints.Merged> merged = endpoints.forPort(port);
    EndpointCategories sets =
        EndpointCategories.of(
            merged,
            !internalLocal || externallyAccessible,
            internalLocal || externalLocal,
            facts.topology());
    EmptyVerdict ifEmpty = sets.hasAny() ? EmptyVerdict.DROP : EmptyVerdict.REJECT;
    return ServiceEntry.builder(key, facts.family())
        .frontends(frontends)
        .internal(new EndpointList(internalLocal ? sets.local() : sets.cluster(), ifEmpty))
        .external(new EndpointList(externalLocal ? sets.local() : sets.cluster(), ifEmpty))
        .cluster(sets.cluster())
        .internalPolicyLocal(internalLocal)
        .externalPolicyLocal(externalLocal)
        .affinity(service.sessionAffinity())
        .firewallSources(firewallSources(service, frontends, facts))
        .healthCheckNodePort(needsHealthCheck(service) ? service.healthCheckNodePort() : 0)
        .servingEndpoints(servingEndpoints(merged))
        .build();
  }

  /** Every serving endpoint, whatever policy or topology keeps in the lists. */
  private static ImmutableSet<ServiceEndpoint> servingEndpoints(List<MergedEndpoints.Merged> merged) {
    ImmutableSet.Builder<ServiceEndpoint> serving = ImmutableSet.builder();
    for (MergedEndpoints.Merged m : merged) {
      if (m.source().serving()) {
        serving.add(m.endpoint());
      }
    }
    return serving.build();
  }

  /** Upstream reads externalTrafficPolicy only for LoadBalancer, NodePort and ClusterIP with externalIPs. */
  private static boolean typeAllowsExternalPolicy(Service service) {
    return service.type() == ServiceType.LOAD_BALANCER
        || service.type() == ServiceType.NODE_PORT
        || (service.type() == ServiceType.CLUSTER_IP && !service.externalIps().isEmpty());
  }

  /** Upstream serves a health-check NodePort only for LoadBalancer services with eTP Local. */
  private static boolean needsHealthCheck(Service service) {
    return service.type() == ServiceType.LOAD_BALANCER
        && service.externalTrafficPolicy() == TrafficPolicy.LOCAL;
  }

  /**
   * Upstream's allowed LoadBalancer sources in this family: the source ranges of the family,
   * plus the LB IPs themselves when the node's primary IP is inside a range. Empty (no firewall)
   * when the service has no LB IP here, no range of this family (upstream filters ranges by
   * family and then has nothing to check), or a zero-length range (which allows everyone).
   */
  private static ImmutableList<Cidr> firewallSources(
      Service service, ImmutableList<Frontend> frontends, NodeFacts facts) {
    Set<IpAddress> lbIps = new LinkedHashSet<>();
    for (Frontend f : frontends) {
      if (f.kind() == FrontendKind.LOAD_BALANCER) {
        lbIps.add(f.address());
      }
    }
    Set<Cidr> ranges = new LinkedHashSet<>();
    for (Cidr range : service.loadBalancerSourceRanges()) {
      if (range.family() == facts.family()) {
        if (range.prefixLength() == 0) {
          return ImmutableList.of();
        }
        ranges.add(range);
      }
    }
    if (lbIps.isEmpty() || ranges.isEmpty()) {
      return ImmutableList.of();
    }
    IpAddress nodeIp = facts.primaryAddress();
    if (nodeIp != null && ranges.stream().anyMatch(r -> r.contains(nodeIp))) {
      for (IpAddress ip : lbIps) {
        ranges.add(Cidr.host(ip));
      }
    }
    return ImmutableList.copyOf(ranges);
  }
}
