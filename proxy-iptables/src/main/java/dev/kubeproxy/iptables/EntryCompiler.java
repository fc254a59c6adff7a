package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.iptables.EntryRules.Placed;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compiles one service port into upstream's iptables rules (DESIGN §5): dispatch rules in the
 * shared chains, and the KUBE-SVC/SVL/EXT/FW/SEP chains, derived from the {@link ServiceEntry}
 * and the table-wide facts alone. Pure.
 */
final class EntryCompiler {
  private final ForwardingTable facts;
  private final boolean largeCluster;

  EntryCompiler(ForwardingTable facts, boolean largeCluster) {
    this.facts = facts;
    this.largeCluster = largeCluster;
  }

  /** The number of endpoint chains {@code entry} needs, without compiling it. */
  static int endpointChains(ServiceEntry entry) {
    return reachable(entry).size();
  }

  /** Endpoints some chain of the entry DNATs to, de-duplicated by {@code ip:port}. */
  private static List<ServiceEndpoint> reachable(ServiceEntry e) {
    Map<String, ServiceEndpoint> all = new LinkedHashMap<>();
    for (ServiceEndpoint ep : clusterList(e)) {
      all.putIfAbsent(ep.toString(), ep);
    }
    for (ServiceEndpoint ep : localList(e)) {
      all.putIfAbsent(ep.toString(), ep);
    }
    return new ArrayList<>(all.values());
  }

  /** Endpoints of the Cluster-policy chain (KUBE-SVC): the cluster-wide list. */
  private static List<ServiceEndpoint> clusterList(ServiceEntry e) {
    if (!usesClusterChain(e)) {
      return List.of();
    }
    return e.internalPolicyLocal() ? e.cluster() : e.internal().endpoints();
  }

  /** Endpoints of the Local-policy chain (KUBE-SVL). */
  private static List<ServiceEndpoint> localList(ServiceEntry e) {
    if (e.externalPolicyLocal() && e.externallyAccessible()) {
      return e.external().endpoints();
    }
    if (e.internalPolicyLocal()) {
      return e.internal().endpoints();
    }
    return List.of();
  }

  private static boolean hasEndpoints(ServiceEntry e) {
    return !e.cluster().isEmpty() || !e.internal().isEmpty() || !e.external().isEmpty();
  }

  /** Whether some traffic reaches the Cluster-policy chain: ClusterIP, or external traffic. */
  private static boolean usesClusterChain(ServiceEntry e) {
    List<ServiceEndpoint> list = e.internalPolicyLocal() ? e.cluster() : e.internal().endpoints();
    if (list.isEmpty()) {
      return false;
    }
    return !e.internalPolicyLocal() || (e.externallyAccessible() && hasEndpoints(e));
  }

  EntryRules compile(ServiceEntry e) {
    ServicePortKey key = e.key();
    String name = key.toString();
    String proto = e.key().protocol().lowerName();
    boolean hasEndpoints = hasEndpoints(e);
    boolean hasInternal = !e.internal().isEmpty();
    boolean hasExternal = !e.external().isEmpty();
    boolean usesCluster = usesClusterChain(e);
    List<ServiceEndpoint> localEndpoints = localList(e);
    boolean usesLocal = !localEndpoints.isEmpty();
    String svc = IptNames.svc(key);
    String svl = IptNames.svl(key);
    String ext = IptNames.ext(key);
    String fw = IptNames.fw(key);
    String internalChain = e.internalPolicyLocal() ? svl : svc;
    String externalPolicyChain = e.externalPolicyLocal() ? svl : svc;
    boolean usesExt = hasEndpoints && e.externallyAccessible();
    List<Frontend> lbs = frontends(e, FrontendKind.LOAD_BALANCER);
    boolean usesFw = hasEndpoints && !lbs.isEmpty() && e.hasFirewall();
    String lbChain = usesFw ? fw : ext;

    List<Placed> dispatch = new ArrayList<>();
    Map<String, ImmutableList<IptRule>> chains = new LinkedHashMap<>();

    // ClusterIP: to the internal chain, or rejected/dropped in filter.
    Frontend clusterIp = first(e, FrontendKind.CLUSTER_IP);
    if (clusterIp != null) {
      if (hasInternal) {
        dispatch.add(nat(IptNames.SERVICES, args(comment(name + " cluster IP"),
            dst(clusterIp, proto), "-j", internalChain)));
      } else {
        dispatch.add(filter(IptNames.SERVICES, args(comment(emptyComment(name, e.internal())),
            dst(clusterIp, proto), "-j", e.internal().ifEmpty().name())));
      }
    }
    for (Frontend f : frontends(e, FrontendKind.EXTERNAL_IP)) {
      if (hasEndpoints) {
        dispatch.add(nat(IptNames.SERVICES, args(comment(name + " external IP"), dst(f, proto),
            "-j", ext)));
      }
      if (!hasExternal) {
        dispatch.add(filter(IptNames.EXTERNAL_SERVICES, args(
            comment(emptyComment(name, e.external())), dst(f, proto),
            "-j", e.external().ifEmpty().name())));
      }
    }
    for (Frontend f : lbs) {
      if (hasEndpoints) {
        dispatch.add(nat(IptNames.SERVICES, args(comment(name + " loadbalancer IP"),
            dst(f, proto), "-j", lbChain)));
      }
      if (usesFw) {
        dispatch.add(filter(IptNames.PROXY_FIREWALL, args(
            comment(name + " traffic not accepted by " + fw), dst(f, proto), "-j", "DROP")));
      }
    }
    if (!hasExternal) {
      for (Frontend f : lbs) {
        dispatch.add(filter(IptNames.EXTERNAL_SERVICES, args(
            comment(emptyComment(name, e.external())), dst(f, proto),
            "-j", e.external().ifEmpty().name())));
      }
    }
    for (Frontend f : frontends(e, FrontendKind.NODE_PORT)) {
      if (hasEndpoints) {
        dispatch.add(nat(IptNames.NODEPORTS, args(comment(name), protocol(proto),
            List.of("--dport", Integer.toString(f.port())), "-j", ext)));
      }
      if (!hasExternal) {
        dispatch.add(filter(IptNames.EXTERNAL_SERVICES, args(
            comment(emptyComment(name, e.external())),
            List.of("-m", "addrtype", "--dst-type", "LOCAL"), protocol(proto),
            List.of("--dport", Integer.toString(f.port())), "-j", e.external().ifEmpty().name())));
      }
    }
    if (e.healthCheckNodePort() != 0) {
      dispatch.add(filter(IptNames.NODEPORTS, args(comment(name + " health check node port"),
          protocol("tcp"), List.of("--dport", Integer.toString(e.healthCheckNodePort())),
          "-j", "ACCEPT")));
    }

    // The internal chain starts by masquerading off-cluster sources.
    List<IptRule> internalMasq = new ArrayList<>();
    if (hasInternal && clusterIp != null) {
      List<String> match = args(comment(name + " cluster IP"), dst(clusterIp, proto));
      LocalTrafficDetector detector = facts.localDetector();
      if (facts.masqueradeAll()) {
        internalMasq.add(IptRule.of(internalChain, args(match, "-j", IptNames.MARK_MASQ)));
      } else if (detector.enabled()) {
        internalMasq.add(IptRule.of(internalChain, args(match, ifNotLocal(detector),
            "-j", IptNames.MARK_MASQ)));
      }
    }

    if (usesExt) {
      List<IptRule> rules = new ArrayList<>();
      if (!e.externalPolicyLocal()) {
        rules.add(IptRule.of(ext, args(
            comment("masquerade traffic for " + name + " external destinations"),
            "-j", IptNames.MARK_MASQ)));
      } else if (usesCluster) {
        LocalTrafficDetector detector = facts.localDetector();
        if (detector.enabled()) {
          rules.add(IptRule.of(ext, args(
              comment("pod traffic for " + name + " external destinations"),
              ifLocal(detector), "-j", svc)));
        }
        rules.add(IptRule.of(ext, args(
            comment("masquerade LOCAL traffic for " + name + " external destinations"),
            List.of("-m", "addrtype", "--src-type", "LOCAL"), "-j", IptNames.MARK_MASQ)));
        rules.add(IptRule.of(ext, args(
            comment("route LOCAL traffic for " + name + " external destinations"),
            List.of("-m", "addrtype", "--src-type", "LOCAL"), "-j", svc)));
      }
      if (hasExternal) {
        rules.add(IptRule.of(ext, List.of("-j", externalPolicyChain)));
      }
      chains.put(ext, ImmutableList.copyOf(rules));
    }

    if (usesFw) {
      List<IptRule> rules = new ArrayList<>();
      for (var cidr : e.firewallSources()) {
        rules.add(IptRule.of(fw, args(comment(name + " loadbalancer IP"),
            List.of("-s", cidr.toString()), "-j", ext)));
      }
      rules.add(IptRule.of(fw, comment(
          "other traffic to " + name + " will be dropped by KUBE-PROXY-FIREWALL")));
      chains.put(fw, ImmutableList.copyOf(rules));
    }

    if (usesCluster) {
      List<IptRule> rules = new ArrayList<>();
      if (internalChain.equals(svc)) {
        rules.addAll(internalMasq);
      }
      rules.addAll(balance(e, svc, clusterList(e)));
      chains.put(svc, ImmutableList.copyOf(rules));
    }
    if (usesLocal) {
      List<IptRule> rules = new ArrayList<>();
      if (internalChain.equals(svl)) {
        rules.addAll(internalMasq);
      }
      rules.addAll(balance(e, svl, localEndpoints));
      chains.put(svl, ImmutableList.copyOf(rules));
    }

    List<ServiceEndpoint> endpoints = reachable(e);
    for (ServiceEndpoint ep : endpoints) {
      String sep = IptNames.sep(key, ep);
      List<String> head = largeCluster ? List.of() : comment(name);
      List<String> dnat = new ArrayList<>(head);
      if (e.affinity().clientIp()) {
        dnat.addAll(List.of("-m", "recent", "--name", sep, "--set"));
      }
      dnat.addAll(protocol(proto));
      dnat.addAll(List.of("-j", "DNAT", "--to-destination", ep.toString()));
      chains.put(sep, ImmutableList.of(
          IptRule.of(sep, args(head, List.of("-s", ep.address().toString()),
              "-j", IptNames.MARK_MASQ)),
          IptRule.of(sep, dnat)));
    }
    return new EntryRules(ImmutableList.copyOf(dispatch), ImmutableMap.copyOf(chains),
        endpoints.size());
  }

  /** Affinity checks, then upstream's 1/(n-i) random choice, into {@code chain}. */
  private List<IptRule> balance(ServiceEntry e, String chain, List<ServiceEndpoint> endpoints) {
    List<IptRule> rules = new ArrayList<>();
    String name = e.key().toString();
    if (e.affinity().clientIp()) {
      for (ServiceEndpoint ep : endpoints) {
        String sep = IptNames.sep(e.key(), ep);
        rules.add(IptRule.of(chain, args(largeCluster ? List.of() : comment(name + " -> " + ep),
            List.of("-m", "recent", "--name", sep, "--rcheck", "--seconds",
                Integer.toString(e.affinity().timeoutSeconds()), "--reap"), "-j", sep)));
      }
    }
    int n = endpoints.size();
    for (int i = 0; i < n; i++) {
      ServiceEndpoint ep = endpoints.get(i);
      List<String> args = new ArrayList<>(largeCluster ? List.of() : comment(name + " -> " + ep));
      if (i < n - 1) {
        args.addAll(List.of("-m", "statistic", "--mode", "random", "--probability",
            probability(n - i)));
      }
      args.addAll(List.of("-j", IptNames.sep(e.key(), ep)));
      rules.add(IptRule.of(chain, args));
    }
    return rules;
  }

  /** Upstream's probability text: 1/n with ten decimals. */
  static String probability(int n) {
    return String.format(Locale.ROOT, "%.10f", 1.0 / n);
  }

  private static String emptyComment(String name, EndpointList list) {
    return list.ifEmpty() == EmptyVerdict.REJECT
        ? name + " has no endpoints" : name + " has no local endpoints";
  }

  private static List<String> ifLocal(LocalTrafficDetector d) {
    return switch (d.mode()) {
      case CLUSTER_CIDR, NODE_CIDR -> List.of("-s", d.cidrs().get(0).toString());
      case BRIDGE_INTERFACE -> List.of("-i", d.interfaceName());
      case INTERFACE_NAME_PREFIX -> List.of("-i", d.interfaceName() + "+");
      case NONE -> List.of();
    };
  }

  private static List<String> ifNotLocal(LocalTrafficDetector d) {
    List<String> local = ifLocal(d);
    List<String> not = new ArrayList<>();
    not.add("!");
    not.addAll(local);
    return not;
  }

  private static List<String> comment(String text) {
    return List.of("-m", "comment", "--comment", text);
  }

  private static List<String> protocol(String proto) {
    return List.of("-m", proto, "-p", proto);
  }

  private static List<String> dst(Frontend f, String proto) {
    List<String> args = new ArrayList<>(protocol(proto));
    args.addAll(List.of("-d", f.address().toString(), "--dport", Integer.toString(f.port())));
    return args;
  }

  /** Concatenates lists and single strings into one argument list. */
  @SuppressWarnings("unchecked")
  private static List<String> args(Object... parts) {
    List<String> out = new ArrayList<>();
    for (Object p : parts) {
      if (p instanceof List<?> list) {
        out.addAll((List<String>) list);
      } else {
        out.add((String) p);
      }
    }
    return out;
  }

  private static Placed nat(String chain, List<String> args) {
    return new Placed(IptTable.NAT, IptRule.of(chain, args));
  }

  private static Placed filter(String chain, List<String> args) {
    return new Placed(IptTable.FILTER, IptRule.of(chain, args));
  }

  private static Frontend first(ServiceEntry e, FrontendKind kind) {
    for (Frontend f : e.frontends()) {
      if (f.kind() == kind) {
        return f;
      }
    }
    return null;
  }

  private static List<Frontend> frontends(ServiceEntry e, FrontendKind kind) {
    List<Frontend> out = new ArrayList<>();
    for (Frontend f : e.frontends()) {
      if (f.kind() == kind) {
        out.add(f);
      }
    }
    return out;
  }
}
