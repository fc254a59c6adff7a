package dev.kubeproxy.nftables;

import com.google.common.base.Joiner;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.nftables.NftOp.AddChain;
import dev.kubeproxy.nftables.NftOp.AddMap;
import dev.kubeproxy.nftables.NftOp.AddRule;
import dev.kubeproxy.nftables.NftOp.AddSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The fixed part of the layout: base chains, the dispatch and check chains with their rules,
 * and the sets and maps they look up (the service CIDRs are literals in the cluster-ips-check
 * drop rule, as upstream writes them). It depends only on the table-wide facts of a
 * {@link ForwardingTable}, never on individual services, so a partial sync never touches it.
 * See LAYOUT.md.
 */
final class NftSkeleton {
  static final String TABLE_COMMENT = "rules for kube-proxy";

  // Sets filled per service port (see EntryCompiler).
  static final String CLUSTER_IPS = "cluster-ips";
  static final String FRONTEND_IPS = "frontend-ips";
  static final String FRONTEND_NODEPORTS = "frontend-nodeports";
  static final String NODEPORT_IPS = "nodeport-ips";
  static final String FIREWALL_IPS = "firewall-ips";
  static final String FIREWALL_ALLOW = "firewall-allow";
  // Verdict maps: frontends without usable endpoints to reject-chain or drop.
  static final String NO_ENDPOINT_SERVICES = "no-endpoint-services";
  static final String NO_ENDPOINT_NODEPORTS = "no-endpoint-nodeports";
  // Also the names of the chains these frontends jump to.
  static final String LOCAL_POLICY_IPS = "local-policy-ips";
  static final String LOCAL_POLICY_NODEPORTS = "local-policy-nodeports";
  static final String HAIRPIN_IPS = "hairpin-ips";

  // Regular chains.
  static final String FIREWALL_CHECK = "firewall-check";
  static final String SERVICES = "services";
  static final String NODEPORTS = "nodeports";
  static final String OTHER_DESTINATIONS = "other-destinations";
  static final String NODEPORT_ENDPOINTS_CHECK = "nodeport-endpoints-check";
  static final String SERVICE_ENDPOINTS_CHECK = "service-endpoints-check";
  static final String CLUSTER_IPS_CHECK = "cluster-ips-check";
  static final String REJECT_CHAIN = "reject-chain";
  static final String MASQUERADING = "masquerading";
  static final String MARK_FOR_MASQUERADE = "mark-for-masquerade";

  private final NftTable table;
  private final FamilySyntax syntax;
  private final ForwardingTable facts;

  NftSkeleton(NftTable table, ForwardingTable facts) {
    this.table = table;
    this.syntax = new FamilySyntax(facts.family());
    this.facts = facts;
  }

  /** The fixed sets and maps, in declaration order. */
  List<NftOp> sets() {
    String ip = syntax.ip();
    String addressKey = syntax.addressKey();
    String portKey = FamilySyntax.portKey();
    List<NftOp> out = new ArrayList<>();
    out.add(set(CLUSTER_IPS, NftType.type(syntax.addressType()), false, "Active ClusterIPs"));
    out.add(set(FRONTEND_IPS, NftType.type(syntax.addressType()), false,
        "Every service address: ClusterIPs, ExternalIPs, LoadBalancer IPs"));
    out.add(set(FRONTEND_NODEPORTS, NftType.typeOf(portKey), false, "Every NodePort"));
    if (!facts.nodePortAddresses().isEmpty()) {
      out.add(set(NODEPORT_IPS, NftType.type(syntax.addressType()), true,
          "Addresses inside nodePortAddresses"));
    }
    out.add(set(FIREWALL_IPS, NftType.typeOf(addressKey), false,
        "LoadBalancer frontends with loadBalancerSourceRanges"));
    out.add(set(FIREWALL_ALLOW, NftType.typeOf(addressKey + " . " + ip + " saddr"), true,
        "Allowed sources per firewalled frontend"));
    out.add(new AddMap(table, NO_ENDPOINT_SERVICES, NftType.typeOf(addressKey),
        NftType.type("verdict"), null,
        "Frontends without usable endpoints: reject, or drop for Local policies"));
    out.add(new AddMap(table, NO_ENDPOINT_NODEPORTS, NftType.typeOf(portKey),
        NftType.type("verdict"), null,
        "NodePorts without usable endpoints: reject, or drop for Local policies"));
    out.add(set(LOCAL_POLICY_IPS, NftType.typeOf(addressKey), false,
        "ExternalIPs and LB IPs of externalTrafficPolicy Local services"));
    out.add(set(LOCAL_POLICY_NODEPORTS, NftType.typeOf(portKey), false,
        "NodePorts of externalTrafficPolicy Local services"));
    out.add(set(HAIRPIN_IPS, NftType.typeOf(ip + " saddr . " + ip + " daddr"), false,
        "Endpoint to itself pairs"));
    for (DispatchSpace space : DispatchSpace.values()) {
      out.addAll(AffinityObjects.sets(table, syntax, space));
    }
    for (DispatchSpace space : DispatchSpace.values()) {
      out.add(new AddMap(table, space.dispatchMap(), NftType.typeOf(space.keyExpression(syntax)),
          NftType.type("verdict"), null,
          "Frontends to their endpoint-count group or affinity chain"));
    }
    return out;
  }

  /** The map of {@code group}: endpoint-count ({@code frontend . i}) or affinity slots. */
  AddMap groupMap(Group group) {
    if (group.isAffinity()) {
      return AffinityObjects.map(table, syntax, group);
    }
    return new AddMap(
        table,
        group.name(),
        NftType.typeOf(group.space().keyExpression(syntax) + " . numgen random mod 1"),
        NftType.typeOf(syntax.ip() + " daddr . th dport"),
        null,
        null);
  }

  /** Every fixed chain (base chains first), in the order a packet meets them. */
  List<AddChain> chains() {
    List<AddChain> out = new ArrayList<>();
    out.add(chain("filter-prerouting-pre-dnat", BaseChain.filter("prerouting", -110)));
    out.add(chain("filter-output-pre-dnat", BaseChain.filter("output", -110)));
    out.add(chain("nat-prerouting", BaseChain.nat("prerouting", -100)));
    out.add(chain("nat-output", BaseChain.nat("output", -100)));
    out.add(chain("filter-input", BaseChain.filter("input", 0)));
    out.add(chain("filter-forward", BaseChain.filter("forward", 0)));
    out.add(chain("filter-output", BaseChain.filter("output", 0)));
    out.add(chain("nat-postrouting", BaseChain.nat("postrouting", 100)));
    for (String name : List.of(FIREWALL_CHECK, SERVICES, OTHER_DESTINATIONS, LOCAL_POLICY_IPS,
        NODEPORTS, LOCAL_POLICY_NODEPORTS)) {
      out.add(chain(name, null));
    }
    for (DispatchSpace space : DispatchSpace.values()) {
      out.add(chain(space.chain(), null));
    }
    for (String name : List.of(NODEPORT_ENDPOINTS_CHECK, SERVICE_ENDPOINTS_CHECK,
        CLUSTER_IPS_CHECK, REJECT_CHAIN, MASQUERADING, MARK_FOR_MASQUERADE)) {
      out.add(chain(name, null));
    }
    return out;
  }

  /** The rules of every fixed chain except the dispatch-space chains. */
  List<AddRule> rules() {
    String ip = syntax.ip();
    String addressKey = syntax.addressKey();
    String portKey = FamilySyntax.portKey();
    String mark = String.format("0x%x", facts.masqueradeMark());
    String podSource = syntax.podSource(facts.localDetector(), false);
    String nonPodSource = syntax.podSource(facts.localDetector(), true);
    String nodePortDestination = "fib daddr type local " + ip + " daddr != " + syntax.loopback()
        + (facts.nodePortAddresses().isEmpty() ? "" : " " + ip + " daddr @" + NODEPORT_IPS);
    List<AddRule> out = new ArrayList<>();

    // Filter, before DNAT: source ranges of LoadBalancer frontends.
    rule(out, "filter-prerouting-pre-dnat", "ct state new jump " + FIREWALL_CHECK, null);
    rule(out, "filter-output-pre-dnat", "ct state new jump " + FIREWALL_CHECK, null);
    rule(out, FIREWALL_CHECK, addressKey + " @" + FIREWALL_IPS + " " + addressKey + " . " + ip
        + " saddr != @" + FIREWALL_ALLOW + " drop",
        "LoadBalancer traffic from outside loadBalancerSourceRanges");

    // NAT, prerouting and output: pick an endpoint.
    rule(out, "nat-prerouting", "jump " + SERVICES, null);
    rule(out, "nat-output", "jump " + SERVICES, null);
    // One lookup for traffic to no service address; the rest of the chain sees only frontends.
    rule(out, SERVICES, ip + " daddr != @" + FRONTEND_IPS + " goto " + OTHER_DESTINATIONS,
        "no service address: only NodePorts remain");
    rule(out, OTHER_DESTINATIONS, nodePortDestination + " goto " + NODEPORTS, "NodePort traffic");
    if (facts.masqueradeAll()) {
      rule(out, SERVICES, ip + " daddr @" + CLUSTER_IPS + " jump " + MARK_FOR_MASQUERADE,
          "ClusterIP traffic is masqueraded: masqueradeAll");
    } else if (nonPodSource != null) {
      // The source test first: pod traffic, the common case, skips the lookup.
      rule(out, SERVICES, nonPodSource + " " + ip + " daddr @" + CLUSTER_IPS + " jump "
          + MARK_FOR_MASQUERADE, "ClusterIP traffic from outside the pod network is masqueraded");
    }
    // externalTrafficPolicy=Cluster frontends are marked by their group's entry chain
    // (Group#masqueradeChain), so ClusterIPs and Cluster-policy frontends cost one lookup here.
    rule(out, SERVICES, "jump " + DispatchSpace.SERVICE_IPS.chain(),
        "ClusterIP ExternalIP and LoadBalancer traffic");
    notDnatedDrop(out, SERVICES, DispatchSpace.SERVICE_IPS);
    // Local frontends are in a space of their own, reached by a rule rather than by verdict
    // elements: a verdict element per Local frontend into a chain that looks up the
    // short-circuit map would make every validating commit walk that map once per such
    // frontend on kernels that do not cache validated chains.
    rule(out, SERVICES, addressKey + " @" + LOCAL_POLICY_IPS + " jump " + LOCAL_POLICY_IPS,
        "externalTrafficPolicy Local");
    localPolicy(out, LOCAL_POLICY_IPS, DispatchSpace.SHORT_CIRCUIT_IPS, DispatchSpace.LOCAL_IPS,
        podSource);
    notDnatedDrop(out, SERVICES, DispatchSpace.LOCAL_IPS);
    rule(out, SERVICES, addressKey + " @" + NO_ENDPOINT_SERVICES + " return",
        "known frontends without endpoints are left to the filter checks");
    rule(out, SERVICES, nodePortDestination + " goto " + NODEPORTS, "NodePort traffic");

    rule(out, NODEPORTS, portKey + " != @" + FRONTEND_NODEPORTS + " return", "no NodePort");
    rule(out, NODEPORTS, "jump " + DispatchSpace.SERVICE_NODEPORTS.chain(), null);
    notDnatedDrop(out, NODEPORTS, DispatchSpace.SERVICE_NODEPORTS);
    rule(out, NODEPORTS, portKey + " @" + LOCAL_POLICY_NODEPORTS + " goto "
        + LOCAL_POLICY_NODEPORTS, "externalTrafficPolicy Local");
    localPolicy(out, LOCAL_POLICY_NODEPORTS, DispatchSpace.SHORT_CIRCUIT_NODEPORTS,
        DispatchSpace.LOCAL_NODEPORTS, podSource);

    // Filter, after DNAT: what was not DNATed and has no endpoints is rejected or dropped.
    rule(out, "filter-input", "ct state new jump " + NODEPORT_ENDPOINTS_CHECK, null);
    rule(out, "filter-input", "ct state new jump " + SERVICE_ENDPOINTS_CHECK, null);
    for (String chain : List.of("filter-forward", "filter-output")) {
      rule(out, chain, "ct state new jump " + SERVICE_ENDPOINTS_CHECK, null);
      rule(out, chain, "ct state new jump " + CLUSTER_IPS_CHECK, null);
    }
    rule(out, NODEPORT_ENDPOINTS_CHECK, nodePortDestination + " " + portKey + " vmap @"
        + NO_ENDPOINT_NODEPORTS, "NodePorts without endpoints");
    rule(out, SERVICE_ENDPOINTS_CHECK, addressKey + " vmap @" + NO_ENDPOINT_SERVICES,
        "frontends without endpoints");
    rule(out, CLUSTER_IPS_CHECK, ip + " daddr @" + CLUSTER_IPS + " goto " + REJECT_CHAIN,
        "Reject traffic to invalid ports of ClusterIPs");
    // As upstream: an anonymous set in the rule, so a change of the CIDRs is a full sync.
    if (!facts.serviceCidrs().isEmpty()) {
      rule(out, CLUSTER_IPS_CHECK, ip + " daddr { " + Joiner.on(", ").join(
          Cidrs.withoutContained(facts.serviceCidrs())) + " } drop",
          "Drop traffic to unallocated ClusterIPs");
    }
    rule(out, REJECT_CHAIN, "meta l4proto tcp reject with tcp reset", "TCP gets a reset");
    rule(out, REJECT_CHAIN, "reject", "others get ICMP port unreachable");

    // NAT, postrouting: masquerade what was marked, and hairpin traffic.
    rule(out, "nat-postrouting", "jump " + MASQUERADING, null);
    rule(out, MASQUERADING, "ct status dnat " + ip + " saddr . " + ip + " daddr @" + HAIRPIN_IPS
        + " jump " + MARK_FOR_MASQUERADE, "hairpin: an endpoint reached itself via a service");
    rule(out, MASQUERADING, "meta mark & " + mark + " == 0 return", null);
    rule(out, MASQUERADING, "meta mark set meta mark xor " + mark, null);
    rule(out, MASQUERADING, "masquerade fully-random", null);
    rule(out, MARK_FOR_MASQUERADE, "meta mark set meta mark or " + mark, null);
    return out;
  }

  /**
   * The one rule of a dispatch-space chain: a single lookup of the frontend in the space's
   * verdict map, whatever the number of endpoint-count groups.
   */
  AddRule spaceRule(DispatchSpace space) {
    return new AddRule(table, space.chain(), NftRule.of(
        space.keyExpression(syntax) + " vmap @" + space.dispatchMap(),
        "to the endpoint-count group or ClientIP affinity chain of the frontend"));
  }

  /**
   * The rules of a group's chains. The chain named as its map: for an endpoint-count group one
   * rule, DNAT through the map keyed by the frontend and {@code numgen random mod size}; for an
   * affinity group those of {@link AffinityObjects#rules}. The masquerading entry chain, where
   * the group has one: mark, then go to the group's chain. They are only ever added in the
   * transaction that creates the map: nft 1.0.6 cannot add a dnat rule that looks up an existing
   * map whose typeof value uses {@code th dport} ("conflicting protocols specified"). The DNAT
   * needs no protocol match of its own: a group chain is reached only through a dispatch map
   * whose key holds the protocol, and frontends are TCP, UDP or SCTP.
   */
  List<AddRule> groupRules(Group group) {
    List<AddRule> out = new ArrayList<>();
    if (group.isAffinity()) {
      out.addAll(AffinityObjects.rules(table, syntax, group, facts.masqueradeMark()));
    } else {
      out.add(new AddRule(table, group.name(), NftRule.of(
          "dnat to " + group.space().keyExpression(syntax)
              + " . numgen random mod " + group.size() + " map @" + group.name())));
    }
    if (group.hasMasqueradeChain()) {
      if (group.isAffinity()) {
        out.addAll(AffinityObjects.masqueradeEntryRules(table, syntax, group));
      }
      rule(out, group.masqueradeChain(), "jump " + MARK_FOR_MASQUERADE,
          "externalTrafficPolicy Cluster: masqueraded");
      rule(out, group.masqueradeChain(), "goto " + group.name(), null);
    }
    return out;
  }

  /**
   * The chains of a group: its own, its masquerading entry chain where it has one, and an
   * affinity group's slot and forget chains.
   */
  List<String> groupChains(Group group) {
    List<String> chains = new ArrayList<>();
    chains.add(group.name());
    if (group.hasMasqueradeChain()) {
      chains.add(group.masqueradeChain());
    }
    if (group.isAffinity()) {
      chains.addAll(AffinityObjects.chains(syntax, group));
    }
    return chains;
  }

  /**
   * After a jump into {@code space}: a packet whose frontend the space dispatches comes back only
   * if it was not DNATed, which happens, rarely, when it is evaluated while a commit moves its
   * frontend between groups: it can meet the dispatch of one generation and the group of the
   * other (seen under churn: a new connection, not DNATed, within a millisecond of such a
   * commit). Such a packet would leave with the service address as its destination and its
   * conntrack entry would keep the connection un-DNATed; dropped here, the entry is never
   * confirmed and the client's retransmission is DNATed. Counted, so the race shows in {@code
   * nft list}.
   */
  private void notDnatedDrop(List<AddRule> out, String chain, DispatchSpace space) {
    rule(out, chain, space.keyExpression(syntax) + " @" + space.dispatchMap() + " counter drop",
        "dispatched but not DNATed: raced a group move. The client retry is DNATed");
  }

  /**
   * The chain a Local-policy frontend goes to: pod and host sources use the cluster-wide list
   * (host sources masqueraded); every other source the local list.
   */
  private void localPolicy(List<AddRule> out, String chain, DispatchSpace shortCircuit,
      DispatchSpace local, String podSource) {
    if (podSource != null) {
      rule(out, chain, podSource + " goto " + shortCircuit.chain(),
          "pod traffic to externalTrafficPolicy Local uses all endpoints");
    }
    rule(out, chain, "fib saddr type local jump " + MARK_FOR_MASQUERADE,
        "host traffic to externalTrafficPolicy Local is masqueraded");
    rule(out, chain, "fib saddr type local goto " + shortCircuit.chain(),
        "host traffic to externalTrafficPolicy Local uses all endpoints");
    rule(out, chain, "goto " + local.chain(), "other traffic uses the local endpoints");
  }

  /** The {@code nodeport-ips} elements: the nodePortAddresses CIDRs. */
  List<NftElement> nodePortElements() {
    ImmutableList.Builder<NftElement> out = ImmutableList.builder();
    for (Cidr c : Cidrs.withoutContained(facts.nodePortAddresses())) {
      out.add(NftElement.of(c.toString()));
    }
    return out.build();
  }

  private AddSet set(String name, NftType type, boolean interval, String comment) {
    return new AddSet(table, name, type,
        interval ? ImmutableSortedSet.of("interval") : ImmutableSortedSet.of(), 0, 0, comment);
  }

  private AddChain chain(String name, BaseChain base) {
    return new AddChain(table, name, base, null);
  }

  private void rule(List<AddRule> out, String chain, String text, String comment) {
    out.add(new AddRule(table, chain, NftRule.of(text, comment)));
  }
}
