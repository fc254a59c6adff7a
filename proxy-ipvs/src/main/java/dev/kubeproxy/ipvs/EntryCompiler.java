package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One service port to its IPVS objects, from the table alone. Each frontend address (every NodePort
 * address for a NodePort) is a virtual service whose real servers are the frontend's endpoint list,
 * weight 1. Beyond upstream: an empty list puts the address:port in a set that rejects or drops new
 * connections in the filter glue; externalTrafficPolicy Local without a local endpoint keeps the
 * cluster-wide endpoints as real servers, so that pods and the node still short-circuit to them
 * while the glue drops everyone else.
 */
final class EntryCompiler {
  private final IpFamily family;
  private final IpvsConfig config;
  private final ImmutableList<IpAddress> nodeAddresses;
  private final ImmutableList<IpAddress> nodePortAddresses;

  EntryCompiler(ForwardingTable facts, IpvsConfig config) {
    this.family = facts.family();
    this.config = config;
    this.nodeAddresses = facts.nodeAddresses();
    this.nodePortAddresses = nodePortAddresses(facts);
  }

  /** The node addresses NodePorts listen on: all, or those inside nodePortAddresses. */
  static ImmutableList<IpAddress> nodePortAddresses(ForwardingTable facts) {
    ImmutableList.Builder<IpAddress> out = ImmutableList.builder();
    for (IpAddress a : facts.nodeAddresses()) {
      boolean inside = facts.nodePortAddresses().isEmpty();
      for (Cidr c : facts.nodePortAddresses()) {
        inside |= c.contains(a);
      }
      if (inside && !a.isLoopback()) {
        out.add(a);
      }
    }
    return out.build();
  }

  EntryObjects compile(ServiceEntry e) {
    Map<VirtualServer, ServiceConfig> services = new LinkedHashMap<>();
    Map<RealServer, Integer> servers = new LinkedHashMap<>();
    Set<IpAddress> addresses = new LinkedHashSet<>();
    Set<IpsetEntry> members = new LinkedHashSet<>();
    List<ImmutableList<String>> outFilter = new ArrayList<>();
    Protocol p = e.key().protocol();
    ServiceConfig serviceConfig = config.serviceConfig(e.affinity());

    for (Frontend f : e.frontends()) {
      boolean nodePort = f.kind() == FrontendKind.NODE_PORT;
      List<IpAddress> vips = nodePort ? nodePortAddresses : List.of(f.address());
      EndpointList list = f.kind() == FrontendKind.CLUSTER_IP ? e.internal() : e.external();
      List<ServiceEndpoint> dests = list.endpoints();
      String verdictSet = null;
      if (list.isEmpty()) {
        if (list.ifEmpty() == EmptyVerdict.REJECT) {
          verdictSet = IpvsNames.NO_ENDPOINTS;
        } else if (f.kind().external() && e.externalPolicyLocal()) {
          verdictSet = IpvsNames.NO_LOCAL_ENDPOINTS_EXTERNAL;
          dests = e.cluster();
        } else {
          verdictSet = IpvsNames.NO_LOCAL_ENDPOINTS;
        }
      }
      for (IpAddress vip : vips) {
        VirtualServer vs = VirtualServer.of(vip, p, f.port());
        services.put(vs, serviceConfig);
        for (ServiceEndpoint ep : dests) {
          servers.put(new RealServer(vs, ep.address(), ep.port()), 1);
        }
        if (verdictSet != null) {
          members.add(member(verdictSet, ipPort(vip, p, f.port())));
        }
        if (!nodePort && !nodeAddresses.contains(vip)) {
          addresses.add(vip);
          members.add(member(IpvsNames.IPVS_IPS, vip.toString()));
        }
      }
      switch (f.kind()) {
        case CLUSTER_IP ->
            members.add(member(IpvsNames.CLUSTER_IP, ipPort(f.address(), p, f.port())));
        case EXTERNAL_IP ->
            members.add(
                member(
                    e.externalPolicyLocal() ? IpvsNames.EXTERNAL_IP_LOCAL : IpvsNames.EXTERNAL_IP,
                    ipPort(f.address(), p, f.port())));
        case LOAD_BALANCER -> loadBalancer(e, f, members, outFilter);
        case NODE_PORT -> nodePort(e, f, members);
      }
    }
    if (e.healthCheckNodePort() != 0) {
      members.add(
          member(IpvsNames.HEALTH_CHECK_NODE_PORT, Integer.toString(e.healthCheckNodePort())));
    }
    for (List<ServiceEndpoint> list :
        List.of(e.internal().endpoints(), e.external().endpoints(), e.cluster())) {
      for (ServiceEndpoint ep : list) {
        if (ep.local()) {
          members.add(
              member(IpvsNames.LOOP_BACK, ipPort(ep.address(), p, ep.port()) + "," + ep.address()));
        }
      }
    }
    return new EntryObjects(
        ImmutableMap.copyOf(services),
        ImmutableMap.copyOf(servers),
        ImmutableSet.copyOf(addresses),
        ImmutableSet.copyOf(members),
        ImmutableList.copyOf(outFilter));
  }

  private void loadBalancer(
      ServiceEntry e, Frontend f, Set<IpsetEntry> members, List<ImmutableList<String>> outFilter) {
    String lb = ipPort(f.address(), f.protocol(), f.port());
    members.add(member(IpvsNames.LOAD_BALANCER, lb));
    if (e.externalPolicyLocal()) {
      members.add(member(IpvsNames.LOAD_BALANCER_LOCAL, lb));
    }
    if (!e.hasFirewall()) {
      return;
    }
    members.add(member(IpvsNames.LOAD_BALANCER_FW, lb));
    boolean allowsNode = false;
    for (Cidr source : e.firewallSources()) {
      allowsNode |= source.contains(f.address());
      if (source.equals(Cidr.host(f.address()))) {
        members.add(member(IpvsNames.LOAD_BALANCER_SOURCE_IP, lb + "," + f.address()));
      } else {
        members.add(member(IpvsNames.LOAD_BALANCER_SOURCE_CIDR, lb + "," + net(source)));
      }
    }
    if (!allowsNode) {
      // The node reaches a load balancer from the load balancer's own address (bound here).
      outFilter.add(IpvsGlue.outFilterRule(VirtualServer.of(f.address(), f.protocol(), f.port())));
    }
  }

  private void nodePort(ServiceEntry e, Frontend f, Set<IpsetEntry> members) {
    if (nodePortAddresses.isEmpty()) {
      return;
    }
    List<String> ports = new ArrayList<>();
    if (f.protocol() == Protocol.SCTP) {
      for (IpAddress a : nodePortAddresses) {
        ports.add(ipPort(a, f.protocol(), f.port()));
      }
    } else {
      ports.add(Integer.toString(f.port()));
    }
    for (String port : ports) {
      members.add(member(IpvsNames.nodePortSet(f.protocol(), false), port));
      if (e.externalPolicyLocal()) {
        members.add(member(IpvsNames.nodePortSet(f.protocol(), true), port));
      }
    }
  }

  private IpsetEntry member(String base, String member) {
    return new IpsetEntry(IpvsNames.set(base, family), member);
  }

  /** {@code ip,proto:port}, as ipset prints hash:ip,port members. */
  static String ipPort(IpAddress ip, Protocol protocol, int port) {
    return ip + "," + protocol.lowerName() + ":" + port;
  }

  /** A CIDR as ipset prints it: host prefixes without their length. */
  static String net(Cidr cidr) {
    int host = cidr.family() == IpFamily.V4 ? 32 : 128;
    return cidr.prefixLength() == host ? cidr.network().toString() : cidr.toString();
  }
}
