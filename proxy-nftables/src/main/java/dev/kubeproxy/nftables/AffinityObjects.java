package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.nftables.NftOp.AddSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ClientIP affinity, the one feature that gets per-service objects: a chain per endpoint list
 * the service uses and, as upstream, a timeout set per endpoint remembering the clients sent
 * there. A client found in a set goes to that endpoint again (refreshing its timeout); others
 * get a random endpoint ({@code numgen random mod (n-i)} per rule, so each is equally likely)
 * and are remembered. No rule here jumps, so refilling these chains costs the kernel no graph
 * validation.
 */
final class AffinityObjects {
  private AffinityObjects() {}

  static void addTo(ServiceEntry entry, NftTable table, FamilySyntax syntax,
      EntryObjects.Builder out) {
    if (!entry.affinity().clientIp()) {
      return;
    }
    boolean clusterIp = false;
    boolean external = false;
    for (Frontend f : entry.frontends()) {
      clusterIp |= f.kind() == FrontendKind.CLUSTER_IP;
      external |= f.kind().external();
    }
    Map<EndpointRole, Boolean> used = new LinkedHashMap<>();
    used.put(EndpointRole.INTERNAL, clusterIp);
    used.put(EndpointRole.EXTERNAL, external);
    used.put(EndpointRole.CLUSTER, external && entry.externalPolicyLocal());
    Map<String, ServiceEndpoint> sets = new LinkedHashMap<>();
    for (Map.Entry<EndpointRole, Boolean> role : used.entrySet()) {
      if (!role.getValue()) {
        continue;
      }
      List<ServiceEndpoint> endpoints = role.getKey().endpoints(entry);
      out.chain(role.getKey().chain(entry), rules(entry, syntax, endpoints));
      for (ServiceEndpoint e : endpoints) {
        sets.put(NftNames.affinitySet(entry.key(), e), e);
      }
    }
    for (String name : sets.keySet()) {
      out.set(new AddSet(table, name, NftType.type(syntax.addressType()),
          ImmutableSortedSet.of("dynamic", "timeout"), entry.affinity().timeoutSeconds(), null));
    }
  }

  private static ImmutableList<NftRule> rules(ServiceEntry entry, FamilySyntax syntax,
      List<ServiceEndpoint> endpoints) {
    String proto = "meta l4proto " + entry.key().protocol().lowerName() + " ";
    String saddr = syntax.ip() + " saddr";
    ImmutableList.Builder<NftRule> rules = ImmutableList.builder();
    for (int i = 0; i < endpoints.size(); i++) {
      ServiceEndpoint e = endpoints.get(i);
      String set = "@" + NftNames.affinitySet(entry.key(), e);
      rules.add(NftRule.of(proto + saddr + " " + set + " update " + set + " { " + saddr + " }"
          + " dnat to " + FamilySyntax.dnatTarget(e.address(), e.port()),
          i == 0 ? "clients seen within the timeout keep their endpoint" : null));
    }
    int n = endpoints.size();
    for (int i = 0; i < n; i++) {
      ServiceEndpoint e = endpoints.get(i);
      String set = "@" + NftNames.affinitySet(entry.key(), e);
      String pick = i < n - 1 ? "numgen random mod " + (n - i) + " == 0 " : "";
      rules.add(NftRule.of(proto + pick + "update " + set + " { " + saddr + " }"
          + " dnat to " + FamilySyntax.dnatTarget(e.address(), e.port()),
          i == 0 ? "new clients get a random endpoint" : null));
    }
    return rules.build();
  }
}
