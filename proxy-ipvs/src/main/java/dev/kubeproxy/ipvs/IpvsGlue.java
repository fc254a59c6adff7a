package dev.kubeproxy.ipvs;

import static dev.kubeproxy.ipvs.IpvsNames.CLUSTER_IP;
import static dev.kubeproxy.ipvs.IpvsNames.EXTERNAL_IP;
import static dev.kubeproxy.ipvs.IpvsNames.EXTERNAL_IP_LOCAL;
import static dev.kubeproxy.ipvs.IpvsNames.HEALTH_CHECK_NODE_PORT;
import static dev.kubeproxy.ipvs.IpvsNames.LOAD_BALANCER;
import static dev.kubeproxy.ipvs.IpvsNames.LOAD_BALANCER_CHAIN;
import static dev.kubeproxy.ipvs.IpvsNames.LOAD_BALANCER_FW;
import static dev.kubeproxy.ipvs.IpvsNames.LOAD_BALANCER_LOCAL;
import static dev.kubeproxy.ipvs.IpvsNames.LOAD_BALANCER_SOURCE_CIDR;
import static dev.kubeproxy.ipvs.IpvsNames.LOAD_BALANCER_SOURCE_IP;
import static dev.kubeproxy.ipvs.IpvsNames.LOOP_BACK;
import static dev.kubeproxy.ipvs.IpvsNames.MARK_MASQ;
import static dev.kubeproxy.ipvs.IpvsNames.NODE_PORT;
import static dev.kubeproxy.ipvs.IpvsNames.NO_ENDPOINTS;
import static dev.kubeproxy.ipvs.IpvsNames.NO_LOCAL_ENDPOINTS;
import static dev.kubeproxy.ipvs.IpvsNames.NO_LOCAL_ENDPOINTS_EXTERNAL;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * The iptables glue of the IPVS mode, written in the order a packet meets it. It refers to
 * services only through the ipsets, so it depends on the table-wide facts alone, except {@code
 * KUBE-IPVS-OUT-FILTER}, which holds one rule per load balancer that must not be reached from the
 * node (as upstream: IPVS has already rewritten the destination when filter OUTPUT runs).
 */
final class IpvsGlue {
  private final IpFamily family;
  private final ForwardingTable facts;

  IpvsGlue(ForwardingTable facts) {
    this.family = facts.family();
    this.facts = facts;
  }

  /** Every glue chain, {@code outFilter} being the rules of KUBE-IPVS-OUT-FILTER. */
  ImmutableList<GlueChain> chains(Collection<ImmutableList<String>> outFilter) {
    return ImmutableList.of(
        nat(IpvsNames.SERVICES, services()),
        nat(IpvsNames.POSTROUTING, postrouting()),
        nat(NODE_PORT, nodePorts()),
        nat(LOAD_BALANCER_CHAIN, loadBalancers()),
        nat(MARK_MASQ, List.of(rule("-j", "MARK", "--or-mark", hex(facts.masqueradeMark())))),
        filter(IpvsNames.FORWARD, forward()),
        filter(NODE_PORT, List.of(rule(comment("Kubernetes health check node port"),
            matchSet(HEALTH_CHECK_NODE_PORT, "dst"), "-j", "ACCEPT"))),
        filter(IpvsNames.PROXY_FIREWALL, firewall()),
        filter(IpvsNames.SOURCE_RANGES_FIREWALL, sourceRanges()),
        filter(IpvsNames.IPVS_FILTER, ipvsFilter()),
        outFilter(outFilter));
  }

  /** KUBE-IPVS-OUT-FILTER alone, for a partial sync whose load balancer firewalls changed. */
  static GlueChain outFilter(Collection<ImmutableList<String>> rules) {
    return new GlueChain("filter", IpvsNames.IPVS_OUT_FILTER, ImmutableList.copyOf(rules));
  }

  /** The jumps from built-in chains to the glue, as upstream names them. */
  static ImmutableList<GlueJump> jumps() {
    return ImmutableList.of(
        jump("nat", "OUTPUT", "kubernetes service portals", IpvsNames.SERVICES),
        jump("nat", "PREROUTING", "kubernetes service portals", IpvsNames.SERVICES),
        jump("nat", "POSTROUTING", "kubernetes postrouting rules", IpvsNames.POSTROUTING),
        jump("filter", "FORWARD", "kubernetes forwarding rules", IpvsNames.FORWARD),
        jump("filter", "INPUT", "kubernetes health check rules", NODE_PORT),
        jump("filter", "INPUT", "kube-proxy firewall rules", IpvsNames.PROXY_FIREWALL),
        jump("filter", "FORWARD", "kube-proxy firewall rules", IpvsNames.PROXY_FIREWALL),
        jump("filter", "INPUT", "kubernetes ipvs access filter", IpvsNames.IPVS_FILTER),
        jump("filter", "OUTPUT", "kubernetes ipvs access filter", IpvsNames.IPVS_OUT_FILTER));
  }

  /** The out-filter rule that keeps the node from reaching a firewalled load balancer. */
  static ImmutableList<String> outFilterRule(VirtualServer lb) {
    return rule("-s", lb.address().toString(), "-m", "ipvs", "--vaddr", lb.address().toString(),
        "--vproto", lb.protocol().lowerName(), "--vport", Integer.toString(lb.port()),
        "-j", "DROP");
  }

  private List<ImmutableList<String>> services() {
    List<ImmutableList<String>> rules = new ArrayList<>();
    rules.add(rule("-s", family == IpFamily.V4 ? "127.0.0.0/8" : "::1/128", "-j", "RETURN"));
    // ClusterIP: masquerade what does not come from a local pod, then accept.
    if (facts.masqueradeAll()) {
      rules.add(rule(matchSet(CLUSTER_IP, "dst,dst"), "-j", MARK_MASQ));
    } else if (facts.localDetector().enabled()) {
      rules.add(rule(matchSet(CLUSTER_IP, "dst,dst"), notLocal(), "-j", MARK_MASQ));
    } else {
      // No detector: masquerade node traffic that picked a service address as its source.
      rules.add(rule(matchSet(CLUSTER_IP, "src,dst"), "-j", MARK_MASQ));
    }
    rules.add(rule(matchSet(CLUSTER_IP, "dst,dst"), "-j", "ACCEPT"));
    // Load balancers: masquerade unless externalTrafficPolicy is Local, then accept.
    rules.add(rule(comment("Kubernetes service lb portal"), matchSet(LOAD_BALANCER, "dst,dst"),
        "-j", LOAD_BALANCER_CHAIN));
    rules.add(rule(matchSet(LOAD_BALANCER, "dst,dst"), "-j", "ACCEPT"));
    // External IPs: masquerade with policy Cluster; with Local only traffic from the node itself.
    rules.add(rule(matchSet(EXTERNAL_IP, "dst,dst"), "-j", MARK_MASQ));
    rules.add(rule(matchSet(EXTERNAL_IP, "dst,dst"), "-j", "ACCEPT"));
    rules.add(rule(matchSet(EXTERNAL_IP_LOCAL, "dst,dst"), "-m", "addrtype", "--src-type", "LOCAL",
        "-j", MARK_MASQ));
    rules.add(rule(matchSet(EXTERNAL_IP_LOCAL, "dst,dst"), "-j", "ACCEPT"));
    // NodePorts on the node's own addresses.
    rules.add(rule("-m", "addrtype", "--dst-type", "LOCAL", "-j", NODE_PORT));
    return rules;
  }

  private List<ImmutableList<String>> nodePorts() {
    List<ImmutableList<String>> rules = new ArrayList<>();
    for (Protocol p : Protocol.values()) {
      String match = p == Protocol.SCTP ? "dst,dst" : "dst";
      String local = IpvsNames.nodePortSet(p, true);
      rules.add(rule("-p", p.lowerName(), matchSet(local, match), "-m", "addrtype", "--src-type",
          "LOCAL", "-j", MARK_MASQ));
      rules.add(rule("-p", p.lowerName(), matchSet(local, match), "-j", "RETURN"));
      rules.add(rule("-p", p.lowerName(), matchSet(IpvsNames.nodePortSet(p, false), match),
          "-j", MARK_MASQ));
    }
    return rules;
  }

  private List<ImmutableList<String>> loadBalancers() {
    return List.of(
        rule("-m", "addrtype", "--src-type", "LOCAL", "-j", MARK_MASQ),
        rule(matchSet(LOAD_BALANCER_LOCAL, "dst,dst"), "-j", "RETURN"),
        rule("-j", MARK_MASQ));
  }

  private List<ImmutableList<String>> postrouting() {
    String mark = hex(facts.masqueradeMark());
    return List.of(
        rule(comment("Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"),
            matchSet(LOOP_BACK, "dst,dst,src"), "-j", "MASQUERADE"),
        rule("-m", "mark", "!", "--mark", mark + "/" + mark, "-j", "RETURN"),
        rule("-j", "MARK", "--xor-mark", mark),
        rule(comment("kubernetes service traffic requiring SNAT"), "-j", "MASQUERADE",
            "--random-fully"));
  }

  private List<ImmutableList<String>> forward() {
    String mark = hex(facts.masqueradeMark());
    return List.of(
        rule(comment("kubernetes forwarding rules"), "-m", "mark", "--mark", mark + "/" + mark,
            "-j", "ACCEPT"),
        rule(comment("kubernetes forwarding conntrack rule"), "-m", "conntrack", "--ctstate",
            "RELATED,ESTABLISHED", "-j", "ACCEPT"));
  }

  private List<ImmutableList<String>> firewall() {
    return List.of(
        rule(matchSet(LOAD_BALANCER_FW, "dst,dst"), "-j", IpvsNames.SOURCE_RANGES_FIREWALL),
        rule(comment("service without endpoints"), "-m", "conntrack", "--ctstate", "NEW",
            matchSet(NO_ENDPOINTS, "dst,dst"), "-j", "REJECT"),
        rule(comment("internal traffic policy Local without local endpoints"), "-m", "conntrack",
            "--ctstate", "NEW", matchSet(NO_LOCAL_ENDPOINTS, "dst,dst"), "-j", "DROP"),
        rule(comment("external traffic policy Local without local endpoints"), "-m", "conntrack",
            "--ctstate", "NEW", matchSet(NO_LOCAL_ENDPOINTS_EXTERNAL, "dst,dst"), notLocal(),
            "-m", "addrtype", "!", "--src-type", "LOCAL", "-j", "DROP"));
  }

  private List<ImmutableList<String>> sourceRanges() {
    return List.of(
        rule(matchSet(LOAD_BALANCER_SOURCE_CIDR, "dst,dst,src"), "-j", "RETURN"),
        rule(matchSet(LOAD_BALANCER_SOURCE_IP, "dst,dst,src"), "-j", "RETURN"),
        rule("-j", "DROP"));
  }

  private List<ImmutableList<String>> ipvsFilter() {
    return List.of(
        rule(matchSet(LOAD_BALANCER, "dst,dst"), "-j", "RETURN"),
        rule(matchSet(CLUSTER_IP, "dst,dst"), "-j", "RETURN"),
        rule(matchSet(EXTERNAL_IP, "dst,dst"), "-j", "RETURN"),
        rule(matchSet(EXTERNAL_IP_LOCAL, "dst,dst"), "-j", "RETURN"),
        rule(matchSet(HEALTH_CHECK_NODE_PORT, "dst"), "-j", "RETURN"),
        rule("-m", "conntrack", "--ctstate", "NEW", matchSet(IpvsNames.IPVS_IPS, "dst"),
            "-j", "REJECT"));
  }

  /** Matches sources that are not local pods by the table's detector (empty without one). */
  private List<String> notLocal() {
    LocalTrafficDetector d = facts.localDetector();
    return switch (d.mode()) {
      case NONE -> List.of();
      case CLUSTER_CIDR, NODE_CIDR -> List.of("!", "-s", d.cidrs().get(0).toString());
      case BRIDGE_INTERFACE -> List.of("!", "-i", d.interfaceName());
      case INTERFACE_NAME_PREFIX -> List.of("!", "-i", d.interfaceName() + "+");
    };
  }

  private List<String> matchSet(String base, String flags) {
    return List.of("-m", "set", "--match-set", IpvsNames.set(base, family), flags);
  }

  private static List<String> comment(String text) {
    return List.of("-m", "comment", "--comment", text);
  }

  private static GlueChain nat(String chain, List<ImmutableList<String>> rules) {
    return new GlueChain("nat", chain, ImmutableList.copyOf(rules));
  }

  private static GlueChain filter(String chain, List<ImmutableList<String>> rules) {
    return new GlueChain("filter", chain, ImmutableList.copyOf(rules));
  }

  private static GlueJump jump(String table, String chain, String comment, String target) {
    return new GlueJump(table, chain,
        ImmutableList.of("-m", "comment", "--comment", comment, "-j", target));
  }

  /** A rule from strings and lists of strings, flattened. */
  static ImmutableList<String> rule(Object... parts) {
    ImmutableList.Builder<String> out = ImmutableList.builder();
    for (Object p : parts) {
      if (p instanceof List<?> list) {
        for (Object o : list) {
          out.add((String) o);
        }
      } else if (p instanceof String[] array) {
        out.addAll(Arrays.asList(array));
      } else {
        out.add((String) p);
      }
    }
    return out.build();
  }

  private static String hex(int mark) {
    return String.format("0x%08x", mark);
  }
}
