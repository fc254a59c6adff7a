package dev.kubeproxy.api.testing;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

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
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.TableFacts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test fixtures that build {@link ServiceEntry} and {@link ForwardingTable} values directly from
 * proxy-api types, so model, trace and backend tests need no Services or EndpointSlices.
 *
 * <p>An entry's endpoint lists default to what upstream's policies derive from one endpoint
 * set: the cluster list is every endpoint; the internal list is the local ones under
 * internalTrafficPolicy Local; the external list is the local ones under externalTrafficPolicy
 * Local; an empty list is REJECT when nothing exists anywhere and DROP otherwise. Every list
 * can be overridden.
 */
public final class TableFixtures {
  private TableFixtures() {}

  /** A remote, ready endpoint {@code ip:port}. */
  public static ServiceEndpoint endpoint(String ip, int port) {
    return new ServiceEndpoint(IpAddress.parse(ip), port, false, false);
  }

  /** A ready endpoint on this node. */
  public static ServiceEndpoint localEndpoint(String ip, int port) {
    return new ServiceEndpoint(IpAddress.parse(ip), port, true, false);
  }

  /** A serving-but-terminating endpoint (used only as a fallback). */
  public static ServiceEndpoint terminatingEndpoint(String ip, int port, boolean local) {
    return new ServiceEndpoint(IpAddress.parse(ip), port, local, true);
  }

  public static IpAddress ip(String literal) {
    return IpAddress.parse(literal);
  }

  public static Cidr cidr(String literal) {
    return Cidr.parse(literal);
  }

  /** Starts an entry for service port {@code namespace/name:portName} of {@code protocol}. */
  public static EntrySpec entry(String namespace, String name, String portName, Protocol protocol) {
    return new EntrySpec(ServicePortKey.of(namespace, name, portName, protocol));
  }

  /** Starts a table of {@code family}: no node facts, no detector, default mark. */
  public static TableSpec table(IpFamily family) {
    return new TableSpec(family);
  }

  /** An IPv4 table with default facts holding {@code entries}. */
  public static ForwardingTable tableOf(ServiceEntry... entries) {
    return table(IpFamily.V4).with(entries).build();
  }

  /** Builds one {@link ServiceEntry}; frontends take the entry key's protocol. */
  public static final class EntrySpec {
    private final ServicePortKey key;
    private IpFamily family;
    private final List<Frontend> frontends = new ArrayList<>();
    private final List<ServiceEndpoint> endpoints = new ArrayList<>();
    private EndpointList internal;
    private EndpointList external;
    private ImmutableList<ServiceEndpoint> cluster;
    private boolean internalPolicyLocal;
    private boolean externalPolicyLocal;
    private SessionAffinity affinity = SessionAffinity.NONE;
    private final List<Cidr> firewallSources = new ArrayList<>();
    private int healthCheckNodePort;

    private EntrySpec(ServicePortKey key) {
      this.key = key;
    }

    public EntrySpec family(IpFamily f) {
      this.family = f;
      return this;
    }

    public EntrySpec clusterIp(String ip, int port) {
      return frontend(new Frontend(FrontendKind.CLUSTER_IP, ip(ip), port, key.protocol()));
    }

    public EntrySpec nodePort(int port) {
      return frontend(Frontend.nodePort(port, key.protocol()));
    }

    public EntrySpec externalIp(String ip, int port) {
      return frontend(new Frontend(FrontendKind.EXTERNAL_IP, ip(ip), port, key.protocol()));
    }

    public EntrySpec loadBalancer(String ip, int port) {
      return frontend(new Frontend(FrontendKind.LOAD_BALANCER, ip(ip), port, key.protocol()));
    }

    public EntrySpec frontend(Frontend f) {
      frontends.add(f);
      return this;
    }

    /** Adds endpoints to the set the default lists are derived from. */
    public EntrySpec endpoints(ServiceEndpoint... eps) {
      endpoints.addAll(List.of(eps));
      return this;
    }

    public EntrySpec internalPolicyLocal() {
      this.internalPolicyLocal = true;
      return this;
    }

    public EntrySpec externalPolicyLocal() {
      this.externalPolicyLocal = true;
      return this;
    }

    /** Overrides the derived internal list. */
    public EntrySpec internal(EmptyVerdict ifEmpty, ServiceEndpoint... eps) {
      this.internal = new EndpointList(sorted(List.of(eps)), ifEmpty);
      return this;
    }

    /** Overrides the derived external list. */
    public EntrySpec external(EmptyVerdict ifEmpty, ServiceEndpoint... eps) {
      this.external = new EndpointList(sorted(List.of(eps)), ifEmpty);
      return this;
    }

    /** Overrides the derived cluster-wide list. */
    public EntrySpec cluster(ServiceEndpoint... eps) {
      this.cluster = sorted(List.of(eps));
      return this;
    }

    public EntrySpec clientIpAffinity(int timeoutSeconds) {
      this.affinity = SessionAffinity.clientIp(timeoutSeconds);
      return this;
    }

    /** Allowed LoadBalancer sources (the loadBalancerSourceRanges, already resolved). */
    public EntrySpec firewallSources(String... cidrs) {
      for (String c : cidrs) {
        firewallSources.add(cidr(c));
      }
      return this;
    }

    public EntrySpec healthCheckNodePort(int port) {
      this.healthCheckNodePort = port;
      return this;
    }

    public ServiceEntry build() {
      IpFamily f = family != null ? family : inferFamily();
      ImmutableList<ServiceEndpoint> all = sorted(endpoints);
      ImmutableList<ServiceEndpoint> local =
          sorted(all.stream().filter(ServiceEndpoint::local).toList());
      EmptyVerdict ifEmpty = all.isEmpty() ? EmptyVerdict.REJECT : EmptyVerdict.DROP;
      EndpointList in =
          internal != null
              ? internal
              : new EndpointList(internalPolicyLocal ? local : all, ifEmpty);
      EndpointList ex =
          external != null
              ? external
              : new EndpointList(externalPolicyLocal ? local : all, ifEmpty);
      return ServiceEntry.builder(key, f)
          .frontends(frontends)
          .internal(in)
          .external(ex)
          .cluster(cluster != null ? cluster : all)
          .internalPolicyLocal(internalPolicyLocal)
          .externalPolicyLocal(externalPolicyLocal)
          .affinity(affinity)
          .firewallSources(firewallSources)
          .healthCheckNodePort(healthCheckNodePort)
          .build();
    }

    private IpFamily inferFamily() {
      for (Frontend fr : frontends) {
        if (fr.address() != null) {
          return fr.address().family();
        }
      }
      return endpoints.isEmpty() ? IpFamily.V4 : endpoints.get(0).address().family();
    }

    private static ImmutableList<ServiceEndpoint> sorted(List<ServiceEndpoint> eps) {
      List<ServiceEndpoint> copy = new ArrayList<>(eps);
      copy.sort(null);
      return ImmutableList.copyOf(copy);
    }
  }

  /** Builds one {@link ForwardingTable}. */
  public static final class TableSpec {
    private final IpFamily family;
    private final List<IpAddress> nodeAddresses = new ArrayList<>();
    private final List<Cidr> nodePortAddresses = new ArrayList<>();
    private LocalTrafficDetector detector = LocalTrafficDetector.NONE;
    private boolean masqueradeAll;
    private int masqueradeMark = 1 << ForwardingTable.DEFAULT_MASQUERADE_BIT;
    private final Map<ServicePortKey, ServiceEntry> entries = new LinkedHashMap<>();

    private TableSpec(IpFamily family) {
      this.family = family;
    }

    public TableSpec nodeAddresses(String... ips) {
      for (String s : ips) {
        nodeAddresses.add(ip(s));
      }
      return this;
    }

    public TableSpec nodePortAddresses(String... cidrs) {
      for (String s : cidrs) {
        nodePortAddresses.add(cidr(s));
      }
      return this;
    }

    /** A ClusterCIDR detector: sources inside {@code cidrs} are local pods. */
    public TableSpec clusterCidrDetector(String... cidrs) {
      ImmutableList.Builder<Cidr> list = ImmutableList.builder();
      for (String s : cidrs) {
        list.add(cidr(s));
      }
      this.detector = LocalTrafficDetector.byCidrs(LocalTrafficDetector.Mode.CLUSTER_CIDR, list.build());
      return this;
    }

    public TableSpec detector(LocalTrafficDetector d) {
      this.detector = d;
      return this;
    }

    public TableSpec masqueradeAll() {
      this.masqueradeAll = true;
      return this;
    }

    public TableSpec masqueradeMark(int mark) {
      this.masqueradeMark = mark;
      return this;
    }

    public TableSpec with(ServiceEntry... es) {
      for (ServiceEntry e : es) {
        checkArgument(entries.put(e.key(), e) == null, "duplicate key %s", e.key());
      }
      return this;
    }

    public ForwardingTable build() {
      checkState(masqueradeMark != 0, "masquerade mark must be set");
      TableFacts facts =
          TableFacts.builder()
              .nodeAddresses(nodeAddresses)
              .nodePortAddresses(
                  nodePortAddresses.isEmpty()
                      ? NodePortAddresses.ALL
                      : NodePortAddresses.cidrs(nodePortAddresses))
              .localDetector(detector)
              .masqueradeAll(masqueradeAll)
              .masqueradeMark(masqueradeMark)
              .build();
      return ForwardingTable.empty(family, facts).withEntries(entries);
    }
  }
}
