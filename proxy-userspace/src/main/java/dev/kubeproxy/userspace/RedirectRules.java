package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.nftables.BaseChain;
import dev.kubeproxy.nftables.NftElement;
import dev.kubeproxy.nftables.NftOp;
import dev.kubeproxy.nftables.NftRule;
import dev.kubeproxy.nftables.NftTable;
import dev.kubeproxy.nftables.NftTransaction;
import dev.kubeproxy.nftables.NftType;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Node mode's nftables objects, in a table of their own ({@code kube-proxy-userspace} in
 * {@code ip} and {@code ip6}) so they never collide with another mode's: two maps from a
 * service frontend to a listener, and one rule each that DNATs new connections from pods
 * (prerouting), from outside (prerouting) and from the node itself (output) to the node's own
 * address and the listener's port; and a set of every ClusterIP, whose other ports are rejected
 * (TCP reset, ICMP port unreachable) in the filter forward and output hooks; and before the
 * redirects, a drop of LoadBalancer traffic from outside its {@code loadBalancerSourceRanges};
 * and in the input hook a drop of whatever reaches a listener port without a redirect.
 *
 * <p>DNAT to the node address rather than REDIRECT: REDIRECT in prerouting rewrites to the
 * address of the incoming interface, and a pod's veth often has no IPv4 address (the lab's,
 * Calico's), so REDIRECT would drop pod traffic; Java cannot open the transparent sockets TPROXY
 * needs. Replies are un-DNATed by conntrack, so UDP clients see the service address.
 */
public final class RedirectRules {
  public static final String TABLE = "kube-proxy-userspace";
  /** {@code address . protocol . port : node address . listener port}: ClusterIP, ExternalIP, LB. */
  public static final String SERVICE_PORTS = "service-ports";
  /** {@code protocol . port : node address . listener port}: NodePorts on every local address. */
  public static final String NODEPORT_PORTS = "nodeport-ports";
  /** Every ClusterIP: a port of one that no redirect matched is rejected. */
  public static final String CLUSTER_IPS = "cluster-ips";
  /** {@code address . protocol . port} of LoadBalancer frontends with source ranges. */
  public static final String FIREWALL_FRONTENDS = "firewall-frontends";
  /** {@code address . protocol . port . source CIDR}: who may reach a firewall frontend. */
  public static final String FIREWALL_ALLOW = "firewall-allow";
  /** The sets and maps whose elements belong to one service port. */
  static final ImmutableSet<String> PER_SERVICE_SETS =
      ImmutableSet.of(SERVICE_PORTS, NODEPORT_PORTS, FIREWALL_FRONTENDS, FIREWALL_ALLOW);
  private static final String REDIRECTS = "redirects";
  private static final String REJECT_UNKNOWN = "reject-unknown-port";
  // Before the kube-proxy table's dstnat chains (-100), so a leftover of another mode never wins.
  private static final int PRIORITY = -110;
  private static final int FIREWALL_PRIORITY = -120;

  private RedirectRules() {}

  /** The table of {@code family}. */
  public static NftTable table(IpFamily family) {
    return new NftTable(family, TABLE);
  }

  /**
   * Replaces whatever the table holds by the empty maps, chains and rules (one atomic
   * transaction); NodePorts answer on {@code nodePortCidrs}' local addresses, or on every local
   * address but loopback when it is empty.
   */
  static ImmutableList<NftOp> skeleton(IpFamily family, List<Cidr> nodePortCidrs, PortRange listenerPorts) {
    NftTable table = table(family);
    String ip = family == IpFamily.V4 ? "ip" : "ip6";
    String address = family == IpFamily.V4 ? "ipv4_addr" : "ipv6_addr";
    String loopback = family == IpFamily.V4 ? "127.0.0.0/8" : "::1";
    NftType value = NftType.type(address + " . inet_service");
    String nodePortMatch = nodePortCidrs.isEmpty()
        ? ip + " daddr != " + loopback
        : ip + " daddr " + cidrSet(nodePortCidrs);
    return ImmutableList.of(
        new NftOp.AddTable(table, null),
        new NftOp.DeleteTable(table),
        new NftOp.AddTable(table, "userspace proxy redirects"),
        new NftOp.AddMap(table, SERVICE_PORTS, NftType.type(address + " . inet_proto . inet_service"), value,
            null, "service frontend to listener"),
        new NftOp.AddMap(table, NODEPORT_PORTS, NftType.type("inet_proto . inet_service"), value, null,
            "NodePort to listener"),
        new NftOp.AddChain(table, "prerouting", BaseChain.nat("prerouting", PRIORITY), null),
        new NftOp.AddChain(table, "output", BaseChain.nat("output", PRIORITY), null),
        new NftOp.AddChain(table, REDIRECTS, null, null),
        new NftOp.AddRule(table, "prerouting", NftRule.of("jump " + REDIRECTS, "from pods and from outside")),
        new NftOp.AddRule(table, "output", NftRule.of("jump " + REDIRECTS, "from the node itself")),
        new NftOp.AddRule(table, REDIRECTS, NftRule.of(
            "meta l4proto { tcp, udp } dnat to " + ip + " daddr . meta l4proto . th dport map @" + SERVICE_PORTS,
            "ClusterIPs, ExternalIPs, LoadBalancer IPs")),
        new NftOp.AddRule(table, REDIRECTS, NftRule.of(
            nodePortMatch + " fib daddr type local meta l4proto { tcp, udp } dnat to "
                + "meta l4proto . th dport map @" + NODEPORT_PORTS,
            "NodePorts on local addresses")),
        new NftOp.AddSet(table, CLUSTER_IPS, NftType.type(address), null, 0, 0, "every ClusterIP"),
        new NftOp.AddSet(table, FIREWALL_FRONTENDS, NftType.type(address + " . inet_proto . inet_service"),
            null, 0, 0, "LoadBalancer frontends with source ranges"),
        new NftOp.AddSet(table, FIREWALL_ALLOW,
            NftType.type(address + " . inet_proto . inet_service . " + address),
            ImmutableSortedSet.of("interval"), 0, 0, "allowed sources of firewall frontends"),
        new NftOp.AddChain(table, "filter-prerouting", BaseChain.filter("prerouting", FIREWALL_PRIORITY), null),
        new NftOp.AddRule(table, "filter-prerouting", NftRule.of(
            ip + " daddr . meta l4proto . th dport @" + FIREWALL_FRONTENDS + " " + ip
                + " daddr . meta l4proto . th dport . " + ip + " saddr != @" + FIREWALL_ALLOW + " drop",
            "loadBalancerSourceRanges, before the redirects")),
        new NftOp.AddChain(table, "filter-forward", BaseChain.filter("forward", 0), null),
        new NftOp.AddChain(table, "filter-output", BaseChain.filter("output", 0), null),
        new NftOp.AddChain(table, REJECT_UNKNOWN, null, null),
        new NftOp.AddRule(table, "filter-forward", NftRule.of(
            ip + " daddr @" + CLUSTER_IPS + " jump " + REJECT_UNKNOWN, "from pods and from outside")),
        new NftOp.AddRule(table, "filter-output", NftRule.of(
            ip + " daddr @" + CLUSTER_IPS + " jump " + REJECT_UNKNOWN, "from the node itself")),
        new NftOp.AddRule(table, REJECT_UNKNOWN, NftRule.of(
            "meta l4proto tcp reject with tcp reset", "a ClusterIP port no redirect matched")),
        new NftOp.AddRule(table, REJECT_UNKNOWN, NftRule.of("reject")),
        new NftOp.AddChain(table, "filter-input", BaseChain.filter("input", 0), null),
        new NftOp.AddRule(table, "filter-input", NftRule.of(
            "meta l4proto { tcp, udp } th dport " + listenerPorts.first() + "-" + listenerPorts.last()
                + " ct status ! dnat drop",
            "listeners only through the redirects, so no client bypasses source ranges")));
  }

  private static String cidrSet(List<Cidr> cidrs) {
    StringBuilder out = new StringBuilder("{ ");
    for (int i = 0; i < cidrs.size(); i++) {
      out.append(i == 0 ? "" : ", ").append(cidrs.get(i));
    }
    return out.append(" }").toString();
  }

  /** The {@code cluster-ips} element of {@code address}. */
  static NftOp addClusterIp(IpFamily family, IpAddress address) {
    return new NftOp.AddElement(table(family), CLUSTER_IPS, NftElement.of(address.toString()));
  }

  static NftOp deleteClusterIp(IpFamily family, IpAddress address) {
    return new NftOp.DeleteElement(table(family), CLUSTER_IPS, ImmutableList.of(address.toString()));
  }

  /** Deletes both families' tables; absent ones are fine. */
  static NftTransaction cleanup() {
    ImmutableList.Builder<NftOp> ops = ImmutableList.builder();
    for (IpFamily family : IpFamily.values()) {
      ops.add(new NftOp.AddTable(table(family), null), new NftOp.DeleteTable(table(family)));
    }
    return new NftTransaction(ops.build());
  }

  /**
   * The elements of {@code entry}: a redirect of each frontend to {@code target} and the listener
   * port of its traffic kind ({@code ports}; a frontend whose traffic has no port gets none), and
   * for LoadBalancer frontends with source ranges the firewall elements.
   */
  static ImmutableSet<RuleElement> of(ServiceEntry entry, IpAddress target, Map<Traffic, Integer> ports) {
    ImmutableSet.Builder<RuleElement> out = ImmutableSet.builder();
    String protocol = entry.key().protocol().name().toLowerCase(Locale.ROOT);
    for (Frontend f : entry.frontends()) {
      Integer port = ports.get(NodePlan.trafficOf(f.kind()));
      if (port == null) {
        continue;
      }
      String frontendPort = Integer.toString(f.port());
      ImmutableList<String> value = ImmutableList.of(target.toString(), Integer.toString(port));
      if (f.kind() == FrontendKind.NODE_PORT) {
        out.add(new RuleElement(NODEPORT_PORTS,
            NftElement.mapping(ImmutableList.of(protocol, frontendPort), value)));
        continue;
      }
      ImmutableList<String> key = ImmutableList.of(f.address().toString(), protocol, frontendPort);
      out.add(new RuleElement(SERVICE_PORTS, NftElement.mapping(key, value)));
      if (f.kind() == FrontendKind.LOAD_BALANCER && !entry.firewallSources().isEmpty()) {
        out.add(new RuleElement(FIREWALL_FRONTENDS, new NftElement(key, ImmutableList.of(), null)));
        for (Cidr source : entry.firewallSources()) {
          if (source.family() == entry.family()) {
            out.add(new RuleElement(FIREWALL_ALLOW, new NftElement(
                ImmutableList.<String>builder().addAll(key).add(source.toString()).build(), ImmutableList.of(), null)));
          }
        }
      }
    }
    return out.build();
  }

  static NftOp add(IpFamily family, RuleElement e) {
    return new NftOp.AddElement(table(family), e.set(), e.element());
  }

  static NftOp delete(IpFamily family, RuleElement e) {
    return new NftOp.DeleteElement(table(family), e.set(), e.element().key());
  }
}
