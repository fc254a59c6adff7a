package dev.kubeproxy.jmh;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import java.util.List;

/**
 * An {@code nft -f} ruleset in the shape of upstream kube-proxy's nftables mode for a table, the
 * data-path reference of {@link DataPathBenchmark}: a {@code service-ips} verdict map (and, for
 * NodePorts, a {@code service-nodeports} verdict map behind {@code fib daddr type local}) to a
 * chain per service port, which picks an endpoint chain with {@code numgen random mod N vmap};
 * external frontends (ExternalIPs, LB IPs, NodePorts of externalTrafficPolicy Cluster services)
 * go through an external chain per service port that marks for masquerading first; ClientIP
 * affinity is a dynamic timeout set per endpoint, checked in the service chain before the
 * random pick and refreshed in the endpoint chain; each endpoint chain marks hairpin traffic
 * and DNATs. The filter-side checks (firewall, no-endpoint, unknown ClusterIP port) are present
 * as upstream has them, with the sets and maps they look up. Written from upstream's documented
 * layout. Not modelled: externalTrafficPolicy Local and loadBalancerSourceRanges (rejected).
 */
final class UpstreamStyleRuleset {
  static final String TABLE = "kube-proxy";

  private UpstreamStyleRuleset() {}

  /** The whole ruleset for IPv4 {@code table}, with mark bit {@code 0x4000}. */
  static String text(ForwardingTable table) {
    StringBuilder out = new StringBuilder();
    String t = "ip " + TABLE;
    out.append("add table ").append(t).append('\n');
    String frontendType = "ipv4_addr . inet_proto . inet_service";
    out.append("add set ").append(t).append(" cluster-ips { type ipv4_addr ; }\n");
    for (String map : List.of("service-ips", "no-endpoint-services", "firewall-ips")) {
      out.append("add map ").append(t).append(' ').append(map)
          .append(" { type ").append(frontendType).append(" : verdict ; }\n");
    }
    for (String map : List.of("service-nodeports", "no-endpoint-nodeports")) {
      out.append("add map ").append(t).append(' ').append(map)
          .append(" { type inet_proto . inet_service : verdict ; }\n");
    }
    base(out, t, "filter-prerouting", "filter hook prerouting priority -110");
    base(out, t, "filter-output", "filter hook output priority -110");
    base(out, t, "filter-input", "filter hook input priority 0");
    base(out, t, "filter-forward", "filter hook forward priority 0");
    base(out, t, "nat-prerouting", "nat hook prerouting priority -100");
    base(out, t, "nat-output", "nat hook output priority -100");
    base(out, t, "nat-postrouting", "nat hook postrouting priority 100");
    for (String chain : List.of("firewall-check", "services", "service-endpoints-check",
        "nodeport-endpoints-check", "cluster-ips-check", "masquerading",
        "mark-for-masquerade")) {
      out.append("add chain ").append(t).append(' ').append(chain).append('\n');
    }
    List<ServiceEntry> entries = table.sortedEntries();
    for (int i = 0; i < entries.size(); i++) {
      ServiceEntry entry = entries.get(i);
      Preconditions.checkArgument(!entry.externalPolicyLocal() || !hasExternal(entry),
          "%s: externalTrafficPolicy Local is not modelled", entry.key());
      Preconditions.checkArgument(entry.firewallSources().isEmpty(),
          "%s: loadBalancerSourceRanges are not modelled", entry.key());
      out.append("add chain ").append(t).append(" service-").append(i).append('\n');
      if (hasExternal(entry)) {
        out.append("add chain ").append(t).append(" external-").append(i).append('\n');
      }
      for (int j = 0; j < entry.internal().endpoints().size(); j++) {
        out.append("add chain ").append(t).append(" endpoint-").append(i).append('-').append(j)
            .append('\n');
        if (entry.affinity().clientIp()) {
          // Upstream: one dynamic set per endpoint, the service's timeout on every element.
          out.append("add set ").append(t).append(' ').append(affinitySet(i, j))
              .append(" { type ipv4_addr ; flags dynamic,timeout ; timeout ")
              .append(entry.affinity().timeoutSeconds()).append("s ; }\n");
        }
      }
    }
    rule(out, t, "filter-prerouting", "ct state new jump firewall-check");
    rule(out, t, "filter-output", "ct state new jump firewall-check");
    rule(out, t, "firewall-check", "ip daddr . meta l4proto . th dport vmap @firewall-ips");
    rule(out, t, "filter-input", "ct state new jump nodeport-endpoints-check");
    rule(out, t, "filter-input", "ct state new jump service-endpoints-check");
    rule(out, t, "filter-forward", "ct state new jump service-endpoints-check");
    rule(out, t, "filter-forward", "ct state new jump cluster-ips-check");
    rule(out, t, "service-endpoints-check",
        "ip daddr . meta l4proto . th dport vmap @no-endpoint-services");
    rule(out, t, "nodeport-endpoints-check", "fib daddr type local ip daddr != 127.0.0.0/8"
        + " meta l4proto . th dport vmap @no-endpoint-nodeports");
    rule(out, t, "cluster-ips-check", "ip daddr @cluster-ips reject");
    rule(out, t, "nat-prerouting", "jump services");
    rule(out, t, "nat-output", "jump services");
    rule(out, t, "nat-postrouting", "jump masquerading");
    rule(out, t, "services", "ip daddr . meta l4proto . th dport vmap @service-ips");
    rule(out, t, "services", "fib daddr type local ip daddr != 127.0.0.0/8"
        + " meta l4proto . th dport vmap @service-nodeports");
    rule(out, t, "masquerading", "meta mark & 0x4000 == 0 return");
    rule(out, t, "masquerading", "meta mark set meta mark xor 0x4000");
    rule(out, t, "masquerading", "masquerade fully-random");
    rule(out, t, "mark-for-masquerade", "meta mark set meta mark or 0x4000");
    for (int i = 0; i < entries.size(); i++) {
      ServiceEntry entry = entries.get(i);
      List<ServiceEndpoint> endpoints = entry.internal().endpoints();
      String protocol = entry.key().protocol().lowerName();
      if (hasExternal(entry)) {
        // Upstream's external chain for externalTrafficPolicy Cluster: mark, then the service.
        rule(out, t, "external-" + i, "jump mark-for-masquerade");
        rule(out, t, "external-" + i, "goto service-" + i);
      }
      for (Frontend f : entry.frontends()) {
        switch (f.kind()) {
          case CLUSTER_IP -> {
            out.append("add element ").append(t).append(" cluster-ips { ").append(f.address())
                .append(" }\n");
            element(out, t, "service-ips", addressKey(f), "goto service-" + i);
          }
          case EXTERNAL_IP, LOAD_BALANCER ->
              element(out, t, "service-ips", addressKey(f), "goto external-" + i);
          case NODE_PORT -> element(out, t, "service-nodeports",
              f.protocol().lowerName() + " . " + f.port(), "goto external-" + i);
          default -> throw new IllegalArgumentException("frontend kind " + f.kind());
        }
      }
      if (endpoints.isEmpty()) {
        continue;
      }
      if (entry.affinity().clientIp()) {
        // Upstream: a remembered client goes to its endpoint before the random pick.
        for (int j = 0; j < endpoints.size(); j++) {
          rule(out, t, "service-" + i, "ip saddr @" + affinitySet(i, j) + " goto endpoint-" + i
              + "-" + j);
        }
      }
      StringBuilder vmap = new StringBuilder("numgen random mod " + endpoints.size() + " vmap { ");
      for (int j = 0; j < endpoints.size(); j++) {
        ServiceEndpoint e = endpoints.get(j);
        vmap.append(j == 0 ? "" : ", ").append(j).append(" : goto endpoint-").append(i)
            .append('-').append(j);
        String chain = "endpoint-" + i + "-" + j;
        rule(out, t, chain, "ip saddr " + e.address() + " jump mark-for-masquerade");
        if (entry.affinity().clientIp()) {
          rule(out, t, chain, "update @" + affinitySet(i, j) + " { ip saddr }");
        }
        rule(out, t, chain, "meta l4proto " + protocol + " dnat to " + e.address() + ":"
            + e.port());
      }
      rule(out, t, "service-" + i, vmap.append(" }").toString());
    }
    return out.toString();
  }

  /**
   * The affinity sets of the service port whose ClusterIP is {@code clusterIp}, in the order its
   * service chain checks them (its endpoints' order); empty when it has no ClientIP affinity.
   */
  static ImmutableList<String> affinitySets(ForwardingTable table, IpAddress clusterIp) {
    List<ServiceEntry> entries = table.sortedEntries();
    for (int i = 0; i < entries.size(); i++) {
      ServiceEntry entry = entries.get(i);
      boolean match = entry.frontends().stream().anyMatch(
          f -> f.kind() == FrontendKind.CLUSTER_IP && f.address().equals(clusterIp));
      if (match) {
        ImmutableList.Builder<String> sets = ImmutableList.builder();
        for (int j = 0; entry.affinity().clientIp() && j < entry.internal().size(); j++) {
          sets.add(affinitySet(i, j));
        }
        return sets.build();
      }
    }
    throw new IllegalArgumentException("no service port with ClusterIP " + clusterIp);
  }

  private static String affinitySet(int service, int endpoint) {
    return "affinity-" + service + "-" + endpoint;
  }

  private static boolean hasExternal(ServiceEntry entry) {
    return entry.frontends().stream().anyMatch(f -> f.kind() != FrontendKind.CLUSTER_IP);
  }

  private static String addressKey(Frontend f) {
    return f.address() + " . " + f.protocol().lowerName() + " . " + f.port();
  }

  private static void element(StringBuilder out, String t, String map, String key,
      String verdict) {
    out.append("add element ").append(t).append(' ').append(map).append(" { ").append(key)
        .append(" : ").append(verdict).append(" }\n");
  }

  private static void base(StringBuilder out, String t, String chain, String spec) {
    out.append("add chain ").append(t).append(' ').append(chain).append(" { type ").append(spec)
        .append(" ; }\n");
  }

  private static void rule(StringBuilder out, String t, String chain, String rule) {
    out.append("add rule ").append(t).append(' ').append(chain).append(' ').append(rule)
        .append('\n');
  }
}
