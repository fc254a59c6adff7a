package dev.kubeproxy.jmh;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import java.util.List;

/**
 * An {@code nft -f} ruleset in the shape of upstream kube-proxy's nftables mode for the ClusterIP
 * frontends of a table, the data-path reference of {@link DataPathBenchmark}: a {@code
 * service-ips} verdict map to a chain per service port, which picks an endpoint chain with
 * {@code numgen random mod N vmap}; each endpoint chain marks hairpin traffic and DNATs. The
 * filter-side checks (firewall, no-endpoint, unknown ClusterIP port) are present as upstream
 * has them, with the sets and maps they look up. Written from upstream's documented layout.
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
    out.append("add map ").append(t)
        .append(" service-nodeports { type inet_proto . inet_service : verdict ; }\n");
    base(out, t, "filter-prerouting", "filter hook prerouting priority -110");
    base(out, t, "filter-output", "filter hook output priority -110");
    base(out, t, "filter-forward", "filter hook forward priority 0");
    base(out, t, "nat-prerouting", "nat hook prerouting priority -100");
    base(out, t, "nat-output", "nat hook output priority -100");
    base(out, t, "nat-postrouting", "nat hook postrouting priority 100");
    for (String chain : List.of("firewall-check", "services", "service-endpoints-check",
        "cluster-ips-check", "masquerading", "mark-for-masquerade")) {
      out.append("add chain ").append(t).append(' ').append(chain).append('\n');
    }
    List<ServiceEntry> entries = table.sortedEntries();
    for (int i = 0; i < entries.size(); i++) {
      out.append("add chain ").append(t).append(" service-").append(i).append('\n');
      for (int j = 0; j < entries.get(i).internal().endpoints().size(); j++) {
        out.append("add chain ").append(t).append(" endpoint-").append(i).append('-').append(j)
            .append('\n');
      }
    }
    rule(out, t, "filter-prerouting", "ct state new jump firewall-check");
    rule(out, t, "filter-output", "ct state new jump firewall-check");
    rule(out, t, "firewall-check", "ip daddr . meta l4proto . th dport vmap @firewall-ips");
    rule(out, t, "filter-forward", "ct state new jump service-endpoints-check");
    rule(out, t, "filter-forward", "ct state new jump cluster-ips-check");
    rule(out, t, "service-endpoints-check",
        "ip daddr . meta l4proto . th dport vmap @no-endpoint-services");
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
      for (Frontend f : entry.frontends()) {
        String key = f.address() + " . " + f.protocol().lowerName() + " . " + f.port();
        if (f.kind() == FrontendKind.EXTERNAL_IP) {
          // Upstream's external chain for externalTrafficPolicy Cluster: mark, then the service.
          String chain = "external-" + i;
          out.append("add chain ").append(t).append(' ').append(chain).append('\n');
          rule(out, t, chain, "jump mark-for-masquerade");
          rule(out, t, chain, "goto service-" + i);
          out.append("add element ").append(t).append(" service-ips { ").append(key)
              .append(" : goto ").append(chain).append(" }\n");
          continue;
        }
        if (f.kind() != FrontendKind.CLUSTER_IP) {
          continue;
        }
        out.append("add element ").append(t).append(" cluster-ips { ").append(f.address())
            .append(" }\n");
        out.append("add element ").append(t).append(" service-ips { ").append(key)
            .append(" : goto service-").append(i).append(" }\n");
      }
      if (endpoints.isEmpty()) {
        continue;
      }
      StringBuilder vmap = new StringBuilder("numgen random mod " + endpoints.size() + " vmap { ");
      for (int j = 0; j < endpoints.size(); j++) {
        ServiceEndpoint e = endpoints.get(j);
        vmap.append(j == 0 ? "" : ", ").append(j).append(" : goto endpoint-").append(i)
            .append('-').append(j);
        String chain = "endpoint-" + i + "-" + j;
        rule(out, t, chain, "ip saddr " + e.address() + " jump mark-for-masquerade");
        rule(out, t, chain, "meta l4proto tcp dnat to " + e.address() + ":" + e.port());
      }
      rule(out, t, "service-" + i, vmap.append(" }").toString());
    }
    return out.toString();
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
