package dev.kubeproxy.api.testing;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.TableFacts;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Forwarding tables built directly from proxy-api types for backend tests: a small table with
 * every feature, and a generator of N services with E endpoints each. Addresses are
 * deterministic functions of the indexes so tests can name them.
 */
public final class SampleTables {
  /** The pod CIDR of the sample node's ClusterCIDR detector. */
  public static final String POD_CIDR_V4 = "10.244.0.0/16";
  public static final String POD_CIDR_V6 = "fd00:244::/64";

  private SampleTables() {}

  /** The node's own address in {@code family}. */
  public static IpAddress nodeAddress(IpFamily family) {
    return ip(family, "192.168.0.10", "fd00:168::10");
  }

  /** Picks the IPv4 or IPv6 literal. */
  public static IpAddress ip(IpFamily family, String v4, String v6) {
    return IpAddress.parse(family == IpFamily.V4 ? v4 : v6);
  }

  /** An empty table with the sample node facts: node address, ClusterCIDR detector, mark 0x4000. */
  public static ForwardingTable emptyNode(IpFamily family) {
    Cidr pods = Cidr.parse(family == IpFamily.V4 ? POD_CIDR_V4 : POD_CIDR_V6);
    return ForwardingTable.empty(
        family,
        TableFacts.builder()
            .nodeAddresses(List.of(nodeAddress(family)))
            .localDetector(
                LocalTrafficDetector.byCidrs(LocalTrafficDetector.Mode.CLUSTER_CIDR, ImmutableList.of(pods)))
            .masqueradeMark(1 << ForwardingTable.DEFAULT_MASQUERADE_BIT)
            .build());
  }

  /** A ready endpoint. */
  public static ServiceEndpoint endpoint(IpAddress address, int port, boolean local) {
    return new ServiceEndpoint(address, port, local, false);
  }

  /** A usable, non-empty endpoint list. */
  public static EndpointList list(ServiceEndpoint... endpoints) {
    return new EndpointList(ImmutableList.sortedCopyOf(List.of(endpoints)), EmptyVerdict.REJECT);
  }

  /** An empty list with the given verdict. */
  public static EndpointList none(EmptyVerdict verdict) {
    return new EndpointList(ImmutableList.of(), verdict);
  }

  /** A plain ClusterIP entry whose internal, external and cluster lists are all {@code endpoints}. */
  public static ServiceEntry clusterIp(ServicePortKey key, IpAddress clusterIp, int port,
      List<ServiceEndpoint> endpoints) {
    ImmutableList<ServiceEndpoint> sorted = ImmutableList.sortedCopyOf(endpoints);
    EndpointList list = new EndpointList(sorted, EmptyVerdict.REJECT);
    return ServiceEntry.builder(key, clusterIp.family())
        .frontends(new Frontend(FrontendKind.CLUSTER_IP, clusterIp, port, key.protocol()))
        .internal(list)
        .external(list)
        .cluster(sorted)
        .build();
  }

  /**
   * A small table with every feature: TCP/UDP/SCTP ClusterIPs (one port number on two
   * protocols), NodePort, ExternalIP, LoadBalancer with source ranges and eTP=Local, Local with
   * no local endpoint (DROP), a service without endpoints (REJECT), iTP=Local without local
   * endpoints (DROP), ClientIP affinity, and the service CIDR the ClusterIPs come from
   * (10.96.0.0/16, fd00:96::/112: unallocated addresses inside are dropped in nftables mode).
   */
  public static ForwardingTable allFeatures(IpFamily family) {
    ServiceEndpoint web1 = endpoint(ip(family, "10.244.1.2", "fd00:244::1:2"), 8080, true);
    ServiceEndpoint web2 = endpoint(ip(family, "10.244.2.3", "fd00:244::2:3"), 8080, false);
    ServiceEndpoint dns1 = endpoint(ip(family, "10.244.1.7", "fd00:244::1:7"), 53, true);
    ServiceEndpoint dns2 = endpoint(ip(family, "10.244.2.8", "fd00:244::2:8"), 53, false);
    ServiceEndpoint dns3 = endpoint(ip(family, "10.244.3.9", "fd00:244::3:9"), 53, false);
    ServiceEndpoint dnsTcp1 = endpoint(ip(family, "10.244.1.7", "fd00:244::1:7"), 5353, true);
    ServiceEndpoint lbLocal = endpoint(ip(family, "10.244.1.5", "fd00:244::1:5"), 8443, true);
    ServiceEndpoint lbRemote = endpoint(ip(family, "10.244.2.6", "fd00:244::2:6"), 8443, false);
    ServiceEndpoint remoteOnly = endpoint(ip(family, "10.244.2.11", "fd00:244::2:11"), 80, false);
    ServiceEndpoint sticky1 = endpoint(ip(family, "10.244.1.20", "fd00:244::1:20"), 9000, true);
    ServiceEndpoint sticky2 = endpoint(ip(family, "10.244.2.21", "fd00:244::2:21"), 9000, false);
    ServiceEndpoint sctp1 = endpoint(ip(family, "10.244.2.30", "fd00:244::2:30"), 3868, false);

    Map<ServicePortKey, ServiceEntry> entries = new HashMap<>();
    ServicePortKey web = ServicePortKey.of("default", "web", "http", Protocol.TCP);
    put(entries, ServiceEntry.builder(web, family)
        .frontends(
            new Frontend(FrontendKind.CLUSTER_IP, ip(family, "10.96.0.10", "fd00:96::10"), 80, Protocol.TCP),
            Frontend.nodePort(30080, Protocol.TCP))
        .internal(list(web1, web2))
        .external(list(web1, web2))
        .cluster(ImmutableList.sortedCopyOf(List.of(web1, web2)))
        .build());
    IpAddress dnsIp = ip(family, "10.96.0.53", "fd00:96::53");
    put(entries, clusterIp(ServicePortKey.of("kube-system", "dns", "dns", Protocol.UDP), dnsIp, 53,
        List.of(dns1, dns2, dns3)));
    put(entries, clusterIp(ServicePortKey.of("kube-system", "dns", "dns-tcp", Protocol.TCP), dnsIp, 53,
        List.of(dnsTcp1)));
    put(entries, clusterIp(ServicePortKey.of("default", "empty", "", Protocol.TCP),
        ip(family, "10.96.0.20", "fd00:96::20"), 80, List.of()));

    ServicePortKey lb = ServicePortKey.of("shop", "frontend", "https", Protocol.TCP);
    IpAddress lbIp = ip(family, "192.0.2.10", "2001:db8::10");
    put(entries, ServiceEntry.builder(lb, family)
        .frontends(
            new Frontend(FrontendKind.CLUSTER_IP, ip(family, "10.96.1.1", "fd00:96::1:1"), 443, Protocol.TCP),
            new Frontend(FrontendKind.LOAD_BALANCER, lbIp, 443, Protocol.TCP),
            Frontend.nodePort(30443, Protocol.TCP))
        .internal(list(lbLocal, lbRemote))
        .external(list(lbLocal))
        .cluster(ImmutableList.sortedCopyOf(List.of(lbLocal, lbRemote)))
        .externalPolicyLocal(true)
        .firewallSources(List.of(
            Cidr.parse(family == IpFamily.V4 ? "203.0.113.0/24" : "2001:db8:113::/64"), Cidr.host(lbIp)))
        .healthCheckNodePort(30999)
        .build());

    ServicePortKey localNone = ServicePortKey.of("shop", "remote-only", "", Protocol.TCP);
    put(entries, ServiceEntry.builder(localNone, family)
        .frontends(
            new Frontend(FrontendKind.CLUSTER_IP, ip(family, "10.96.1.2", "fd00:96::1:2"), 80, Protocol.TCP),
            new Frontend(FrontendKind.EXTERNAL_IP, ip(family, "198.51.100.7", "2001:db8:51::7"), 80, Protocol.TCP),
            Frontend.nodePort(30081, Protocol.TCP))
        .internal(list(remoteOnly))
        .external(none(EmptyVerdict.DROP))
        .cluster(List.of(remoteOnly))
        .externalPolicyLocal(true)
        .build());

    ServicePortKey sticky = ServicePortKey.of("apps", "sticky", "api", Protocol.TCP);
    put(entries, ServiceEntry.builder(sticky, family)
        .frontends(
            new Frontend(FrontendKind.CLUSTER_IP, ip(family, "10.96.2.1", "fd00:96::2:1"), 9000, Protocol.TCP),
            new Frontend(FrontendKind.EXTERNAL_IP, ip(family, "198.51.100.8", "2001:db8:51::8"), 9000, Protocol.TCP))
        .internal(list(sticky1, sticky2))
        .external(list(sticky1, sticky2))
        .cluster(ImmutableList.sortedCopyOf(List.of(sticky1, sticky2)))
        .affinity(SessionAffinity.clientIp(600))
        .build());

    put(entries, clusterIp(ServicePortKey.of("apps", "diameter", "", Protocol.SCTP),
        ip(family, "10.96.2.2", "fd00:96::2:2"), 3868, List.of(sctp1)));

    ServicePortKey itpLocal = ServicePortKey.of("apps", "node-cache", "", Protocol.UDP);
    put(entries, ServiceEntry.builder(itpLocal, family)
        .frontends(new Frontend(FrontendKind.CLUSTER_IP, ip(family, "10.96.2.3", "fd00:96::2:3"), 53, Protocol.UDP))
        .internal(none(EmptyVerdict.DROP))
        .external(none(EmptyVerdict.DROP))
        .cluster(List.of(remoteOnly))
        .internalPolicyLocal(true)
        .build());

    ForwardingTable node = emptyNode(family);
    return node.withFacts(node.facts().toBuilder()
            .serviceCidrs(List.of(Cidr.parse(family == IpFamily.V4 ? "10.96.0.0/16" : "fd00:96::/112")))
            .build())
        .withEntries(entries);
  }

  /**
   * {@code services} ClusterIP services with {@code endpoints} endpoints each. With
   * {@code allFeatures}, service i also gets (by i mod 6) a NodePort, an ExternalIP, a
   * LoadBalancer with source ranges and eTP=Local, ClientIP affinity, UDP or SCTP.
   */
  public static ForwardingTable generated(IpFamily family, int services, int endpoints,
      boolean allFeatures) {
    Map<ServicePortKey, ServiceEntry> entries = new HashMap<>();
    for (int i = 0; i < services; i++) {
      ServiceEntry e = generatedEntry(family, i, endpoints, allFeatures);
      entries.put(e.key(), e);
    }
    return emptyNode(family).withEntries(entries);
  }

  /** Service {@code i} of {@link #generated}, with {@code endpoints} endpoints. */
  public static ServiceEntry generatedEntry(IpFamily family, int i, int endpoints,
      boolean allFeatures) {
    int kind = allFeatures ? i % 6 : 0;
    Protocol protocol = kind == 4 ? Protocol.UDP : kind == 5 ? Protocol.SCTP : Protocol.TCP;
    ServicePortKey key = ServicePortKey.of("ns" + (i / 1000), "svc" + i, "p80", protocol);
    ImmutableList.Builder<ServiceEndpoint> eps = ImmutableList.builder();
    for (int j = 0; j < endpoints; j++) {
      eps.add(endpoint(indexed(family, 10, 64, i * endpoints + j + 1), 8080, j % 3 == 0));
    }
    ImmutableList<ServiceEndpoint> all = ImmutableList.sortedCopyOf(eps.build());
    EndpointList list = new EndpointList(all, EmptyVerdict.REJECT);
    ImmutableList.Builder<Frontend> frontends = ImmutableList.builder();
    frontends.add(new Frontend(FrontendKind.CLUSTER_IP, indexed(family, 10, 96, i + 1), 80, protocol));
    boolean local = false;
    SessionAffinity affinity = SessionAffinity.NONE;
    ImmutableList<Cidr> firewall = ImmutableList.of();
    EndpointList external = list;
    switch (kind) {
      case 1 -> frontends.add(Frontend.nodePort(30000 + i % 2700, protocol));
      case 2 -> frontends.add(new Frontend(FrontendKind.EXTERNAL_IP, indexed(family, 172, 16, i + 1), 80, protocol));
      case 3 -> {
        IpAddress lb = indexed(family, 172, 20, i + 1);
        frontends.add(new Frontend(FrontendKind.LOAD_BALANCER, lb, 443, protocol));
        frontends.add(Frontend.nodePort(30000 + i % 2700, protocol));
        local = true;
        ImmutableList<ServiceEndpoint> locals = ImmutableList.copyOf(
            all.stream().filter(ServiceEndpoint::local).toList());
        external = locals.isEmpty() ? new EndpointList(locals, EmptyVerdict.DROP)
            : new EndpointList(locals, EmptyVerdict.REJECT);
        firewall = ImmutableList.of(
            Cidr.parse(family == IpFamily.V4 ? "203.0.113.0/24" : "2001:db8:113::/64"));
        affinity = i % 12 == 3 ? SessionAffinity.clientIp(10800) : SessionAffinity.NONE;
      }
      default -> { }
    }
    return ServiceEntry.builder(key, family)
        .frontends(frontends.build())
        .internal(list)
        .external(external)
        .cluster(all)
        .externalPolicyLocal(local)
        .affinity(affinity)
        .firewallSources(firewall)
        .build();
  }

  /** {@code entry} under another key (an adversarial name, say), every other field the same. */
  public static ServiceEntry rekeyed(ServiceEntry entry, ServicePortKey key) {
    return new ServiceEntry(key, entry.family(), entry.frontends(), entry.internal(),
        entry.external(), entry.cluster(), entry.internalPolicyLocal(), entry.externalPolicyLocal(),
        entry.affinity(), entry.firewallSources(), entry.healthCheckNodePort(),
        entry.servingEndpoints());
  }

  /** The address {@code a.b.0.0 + n} (IPv4) or {@code fd<a>:<b>::n} (IPv6). */
  public static IpAddress indexed(IpFamily family, int a, int b, int n) {
    if (family == IpFamily.V4) {
      return IpAddress.parse(a + "." + (b + (n >>> 16)) + "." + ((n >>> 8) & 0xff) + "." + (n & 0xff));
    }
    return IpAddress.parse(String.format("fd%02x:%x::%x:%x", a, b, n >>> 16, n & 0xffff));
  }

  private static void put(Map<ServicePortKey, ServiceEntry> entries, ServiceEntry entry) {
    entries.put(entry.key(), entry);
  }
}
