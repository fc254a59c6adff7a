package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import java.util.ArrayList;
import java.util.List;

/**
 * The table-wide part of the rules, as upstream writes it: the top-level chains of filter and
 * nat, their fixed rules, the jumps into them from the built-in chains, and the last rule of nat
 * {@code KUBE-SERVICES} that sends what no service claimed to {@code KUBE-NODEPORTS}.
 */
final class IptSkeleton {
  /** A jump from a built-in chain into one of ours, ensured on every full sync. */
  record Jump(IptTable table, String builtin, String target, String comment,
      ImmutableList<String> extra) {
    IptRule rule() {
      List<String> args = new ArrayList<>(extra);
      if (!comment.isEmpty()) {
        args.addAll(List.of("-m", "comment", "--comment", comment));
      }
      args.addAll(List.of("-j", target));
      return IptRule.of(builtin, args);
    }
  }

  private static final ImmutableList<String> NEW = ImmutableList.of("-m", "conntrack", "--ctstate", "NEW");

  /** Upstream's jump rules, in upstream's order. */
  static final ImmutableList<Jump> JUMPS = ImmutableList.of(
      new Jump(IptTable.FILTER, "INPUT", IptNames.EXTERNAL_SERVICES,
          "kubernetes externally-visible service portals", NEW),
      new Jump(IptTable.FILTER, "FORWARD", IptNames.EXTERNAL_SERVICES,
          "kubernetes externally-visible service portals", NEW),
      new Jump(IptTable.FILTER, "INPUT", IptNames.NODEPORTS,
          "kubernetes health check service ports", ImmutableList.of()),
      new Jump(IptTable.FILTER, "FORWARD", IptNames.SERVICES, "kubernetes service portals", NEW),
      new Jump(IptTable.FILTER, "OUTPUT", IptNames.SERVICES, "kubernetes service portals", NEW),
      new Jump(IptTable.FILTER, "FORWARD", IptNames.FORWARD, "kubernetes forwarding rules",
          ImmutableList.of()),
      new Jump(IptTable.FILTER, "INPUT", IptNames.PROXY_FIREWALL,
          "kubernetes load balancer firewall", NEW),
      new Jump(IptTable.FILTER, "OUTPUT", IptNames.PROXY_FIREWALL,
          "kubernetes load balancer firewall", NEW),
      new Jump(IptTable.FILTER, "FORWARD", IptNames.PROXY_FIREWALL,
          "kubernetes load balancer firewall", NEW),
      new Jump(IptTable.NAT, "OUTPUT", IptNames.SERVICES, "kubernetes service portals",
          ImmutableList.of()),
      new Jump(IptTable.NAT, "PREROUTING", IptNames.SERVICES, "kubernetes service portals",
          ImmutableList.of()),
      new Jump(IptTable.NAT, "POSTROUTING", IptNames.POSTROUTING, "kubernetes postrouting rules",
          ImmutableList.of()));

  /**
   * Kubelet's jumps to {@code KUBE-FIREWALL} (no comment), which upstream also ensures; written
   * with localhost NodePorts (IPv4), and left in place by cleanup as upstream leaves them.
   */
  static final ImmutableList<Jump> KUBELET_JUMPS = ImmutableList.of(
      new Jump(IptTable.FILTER, "INPUT", IptNames.KUBELET_FIREWALL, "", ImmutableList.of()),
      new Jump(IptTable.FILTER, "OUTPUT", IptNames.KUBELET_FIREWALL, "", ImmutableList.of()));

  /**
   * The martian guard localhost NodePorts need (route_localnet=1 lets packets from elsewhere
   * reach 127/8): new connections to 127/8 from outside 127/8 that were not DNATed are dropped.
   * The same rule kubelet writes.
   */
  static final IptRule MARTIAN_GUARD = IptRule.of(IptNames.KUBELET_FIREWALL, "-m", "comment",
      "--comment", "block incoming localnet connections", "-d", "127.0.0.0/8", "!", "-s",
      "127.0.0.0/8", "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP");

  /**
   * Whether NodePorts are reachable on 127.0.0.1 in {@code table}: asked for, IPv4, and
   * nodePortAddresses empty (all local addresses) or containing 127.0.0.1, as upstream decides.
   */
  static boolean localhostNodePorts(ForwardingTable table, boolean wanted) {
    if (!wanted || table.family() != IpFamily.V4) {
      return false;
    }
    if (table.nodePortAddresses().isEmpty()) {
      return true;
    }
    IpAddress loopback = IpAddress.parse("127.0.0.1");
    return table.nodePortAddresses().stream().anyMatch(c -> c.contains(loopback));
  }

  /** Top-level filter chains, declared (so flushed) on every full sync. */
  static final ImmutableList<String> FILTER_CHAINS = ImmutableList.of(IptNames.SERVICES,
      IptNames.EXTERNAL_SERVICES, IptNames.FORWARD, IptNames.NODEPORTS, IptNames.PROXY_FIREWALL,
      IptNames.CLUSTER_IPS);

  /** The last rule of filter KUBE-SERVICES: what no service port matched meets the ClusterIPs. */
  static final IptRule CLUSTER_IPS_JUMP = IptRule.of(IptNames.SERVICES, "-m", "comment",
      "--comment", "cluster IPs on ports no service has", "-j", IptNames.CLUSTER_IPS);

  /** The rule refusing {@code clusterIp} on any port no service port took before it. */
  static IptRule clusterIpReject(IpAddress clusterIp) {
    return IptRule.of(IptNames.CLUSTER_IPS, "-d", clusterIp.toString(), "-m", "comment",
        "--comment", "no service has this port on this cluster IP", "-j", "REJECT");
  }

  /** Top-level nat chains, declared (so flushed) on every full sync. */
  static final ImmutableList<String> NAT_CHAINS = ImmutableList.of(IptNames.SERVICES,
      IptNames.NODEPORTS, IptNames.POSTROUTING, IptNames.MARK_MASQ);

  static final String NODEPORTS_COMMENT =
      "kubernetes service nodeports; NOTE: this must be the last rule in this chain";

  private IptSkeleton() {}

  static String mark(ForwardingTable table) {
    return "0x" + Integer.toHexString(table.masqueradeMark());
  }

  /** The fixed nat rules: masquerading in postrouting and the mark chain. */
  static List<IptRule> natRules(ForwardingTable table) {
    String mark = mark(table);
    return List.of(
        IptRule.of(IptNames.POSTROUTING, "-m", "mark", "!", "--mark", mark + "/" + mark, "-j", "RETURN"),
        IptRule.of(IptNames.POSTROUTING, "-j", "MARK", "--xor-mark", mark),
        IptRule.of(IptNames.POSTROUTING, "-m", "comment", "--comment",
            "kubernetes service traffic requiring SNAT", "-j", "MASQUERADE", "--random-fully"),
        IptRule.of(IptNames.MARK_MASQ, "-j", "MARK", "--or-mark", mark));
  }

  /** The fixed filter rules of {@code KUBE-FORWARD}. */
  static List<IptRule> filterRules(ForwardingTable table) {
    String mark = mark(table);
    return List.of(
        IptRule.of(IptNames.FORWARD, "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"),
        IptRule.of(IptNames.FORWARD, "-m", "comment", "--comment", "kubernetes forwarding rules",
            "-m", "mark", "--mark", mark + "/" + mark, "-j", "ACCEPT"),
        IptRule.of(IptNames.FORWARD, "-m", "comment", "--comment",
            "kubernetes forwarding conntrack rule", "-m", "conntrack", "--ctstate",
            "RELATED,ESTABLISHED", "-j", "ACCEPT"));
  }

  /**
   * The last rules of nat {@code KUBE-SERVICES}: every local destination but loopback when
   * NodePorts are on all addresses, else one rule per nodePortAddresses CIDR (a host prefix is
   * matched as the address, as upstream matches node IPs; a wider one also needs a local
   * destination). Loopback destinations are excluded unless {@code localhost} (IPv4 only).
   */
  static List<IptRule> nodePortJumps(ForwardingTable table, boolean localhost) {
    List<IptRule> rules = new ArrayList<>();
    boolean v6 = table.family() == IpFamily.V6;
    if (table.nodePortAddresses().isEmpty()) {
      List<String> args = new ArrayList<>(List.of("-m", "comment", "--comment", NODEPORTS_COMMENT,
          "-m", "addrtype", "--dst-type", "LOCAL"));
      if (!localhost) {
        args.addAll(List.of("!", "-d", v6 ? "::1/128" : "127.0.0.0/8"));
      }
      args.addAll(List.of("-j", IptNames.NODEPORTS));
      rules.add(IptRule.of(IptNames.SERVICES, args));
      return rules;
    }
    for (Cidr cidr : table.nodePortAddresses()) {
      if (cidr.network().isLoopback() && !localhost) {
        continue;
      }
      int host = v6 ? 128 : 32;
      List<String> args = new ArrayList<>(List.of("-m", "comment", "--comment", NODEPORTS_COMMENT));
      if (cidr.prefixLength() == host) {
        args.addAll(List.of("-d", cidr.network().toString()));
      } else {
        args.addAll(List.of("-d", cidr.toString(), "-m", "addrtype", "--dst-type", "LOCAL"));
      }
      args.addAll(List.of("-j", IptNames.NODEPORTS));
      rules.add(IptRule.of(IptNames.SERVICES, args));
    }
    return rules;
  }
}
