package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A service port's dispatch elements: its frontends in the membership sets (every frontend
 * address or NodePort, ClusterIPs, Local external frontends) and in the no-endpoint verdict maps,
 * its endpoints in the endpoint-count group maps, and a dispatch verdict-map element sending each
 * frontend to its group's chain or affinity chain, or to the group's masquerading entry chain
 * for externalTrafficPolicy=Cluster external frontends.
 */
final class DispatchObjects {
  private DispatchObjects() {}

  static void addTo(ServiceEntry entry, Map<EndpointRole, ImmutableList<String>> slots,
      EntryObjects.Builder out) {
    String comment = entry.key().toString();
    for (Frontend f : entry.frontends()) {
      ImmutableList<String> key = frontendKey(f);
      if (f.kind() == FrontendKind.NODE_PORT) {
        out.element(NftSkeleton.FRONTEND_NODEPORTS, NftElement.of(key.get(0), key.get(1)));
      } else {
        out.element(NftSkeleton.FRONTEND_IPS, NftElement.of(f.address().toString()));
      }
      if (f.kind() == FrontendKind.CLUSTER_IP) {
        out.element(NftSkeleton.CLUSTER_IPS, NftElement.of(f.address().toString()));
        dispatch(entry, DispatchSpace.SERVICE_IPS, key, entry.internal(), EndpointRole.INTERNAL,
            false, slots, out);
        continue;
      }
      boolean nodePort = f.kind() == FrontendKind.NODE_PORT;
      boolean local = entry.externalPolicyLocal();
      if (local) {
        out.element(nodePort ? NftSkeleton.LOCAL_POLICY_NODEPORTS : NftSkeleton.LOCAL_POLICY_IPS,
            new NftElement(key, null, comment));
        DispatchSpace shortCircuit = nodePort
            ? DispatchSpace.SHORT_CIRCUIT_NODEPORTS : DispatchSpace.SHORT_CIRCUIT_IPS;
        endpoints(entry, shortCircuit, key, entry.cluster(), EndpointRole.CLUSTER, false, slots,
            out);
      }
      // externalTrafficPolicy=Cluster: masqueraded through the group's entry chain.
      dispatch(entry, externalSpace(nodePort, local), key, entry.external(), EndpointRole.EXTERNAL,
          !local, slots, out);
    }
    // Only endpoints that can be the source of traffic DNATed here: an endpoint on another node
    // reaches services through its own node's proxy (issue 13: at M, 100 nodes, this is 1 % of
    // the endpoints, and a remote endpoint's change no longer touches this set).
    Set<String> hairpins = new LinkedHashSet<>();
    for (EndpointRole role : EndpointRole.values()) {
      for (ServiceEndpoint e : role.endpoints(entry)) {
        if (e.mayHairpinHere()) {
          hairpins.add(e.address().toString());
        }
      }
    }
    for (String address : hairpins) {
      out.element(NftSkeleton.HAIRPIN_IPS, NftElement.of(address, address));
    }
  }

  /**
   * The slot tables the kernel's group maps hold for {@code entry}'s affinity lists, found
   * through the frontends that use each list in the spaces {@link #addTo} files them in, as
   * objects holding slots only: what a full sync with nothing committed starts from, so that
   * surviving endpoints keep their slots across a restart.
   */
  static EntryObjects kernelSlots(ServiceEntry entry, AffinitySlots kernel) {
    if (!entry.affinity().clientIp() || kernel.isEmpty()) {
      return EntryObjects.EMPTY;
    }
    Map<EndpointRole, ImmutableList<String>> found = new EnumMap<>(EndpointRole.class);
    for (Frontend f : entry.frontends()) {
      ImmutableList<String> key = frontendKey(f);
      boolean nodePort = f.kind() == FrontendKind.NODE_PORT;
      if (f.kind() == FrontendKind.CLUSTER_IP) {
        found(found, EndpointRole.INTERNAL, kernel.table(DispatchSpace.SERVICE_IPS, key));
        continue;
      }
      found(found, EndpointRole.EXTERNAL,
          kernel.table(externalSpace(nodePort, entry.externalPolicyLocal()), key));
      if (entry.externalPolicyLocal()) {
        found(found, EndpointRole.CLUSTER, kernel.table(nodePort
            ? DispatchSpace.SHORT_CIRCUIT_NODEPORTS : DispatchSpace.SHORT_CIRCUIT_IPS, key));
      }
    }
    EntryObjects.Builder out = new EntryObjects.Builder();
    found.forEach(out::slots);
    return out.build();
  }

  private static void found(Map<EndpointRole, ImmutableList<String>> found, EndpointRole role,
      ImmutableList<String> table) {
    if (!table.isEmpty()) {
      found.putIfAbsent(role, table);
    }
  }

  /** The space of an external frontend's external list. */
  private static DispatchSpace externalSpace(boolean nodePort, boolean local) {
    if (local) {
      return nodePort ? DispatchSpace.LOCAL_NODEPORTS : DispatchSpace.LOCAL_IPS;
    }
    return nodePort ? DispatchSpace.SERVICE_NODEPORTS : DispatchSpace.SERVICE_IPS;
  }

  /** {@code address . proto . port}, or {@code proto . port} for a NodePort. */
  static ImmutableList<String> frontendKey(Frontend f) {
    String proto = f.protocol().lowerName();
    String port = Integer.toString(f.port());
    return f.kind() == FrontendKind.NODE_PORT
        ? ImmutableList.of(proto, port)
        : ImmutableList.of(f.address().toString(), proto, port);
  }

  private static void dispatch(ServiceEntry entry, DispatchSpace space, ImmutableList<String> key,
      EndpointList list, EndpointRole role, boolean masquerade,
      Map<EndpointRole, ImmutableList<String>> slots, EntryObjects.Builder out) {
    if (list.isEmpty()) {
      // One verdict map per key space, as upstream: reject (nothing usable anywhere) or drop
      // (Local policy, no local endpoint), so the filter check costs one lookup.
      boolean reject = list.ifEmpty() == EmptyVerdict.REJECT;
      out.element(space.byAddress() ? NftSkeleton.NO_ENDPOINT_SERVICES
              : NftSkeleton.NO_ENDPOINT_NODEPORTS,
          new NftElement(key, ImmutableList.of(reject ? "goto " + NftSkeleton.REJECT_CHAIN : "drop"),
              entry.key().toString()));
    }
    endpoints(entry, space, key, list.endpoints(), role, masquerade, slots, out);
  }

  private static void endpoints(ServiceEntry entry, DispatchSpace space, ImmutableList<String> key,
      ImmutableList<ServiceEndpoint> endpoints, EndpointRole role, boolean masquerade,
      Map<EndpointRole, ImmutableList<String>> slots, EntryObjects.Builder out) {
    String comment = entry.key().toString();
    if (entry.affinity().clientIp()) {
      AffinityObjects.addFrontend(space, key, entry.key().protocol().lowerName(),
          entry.affinity().timeoutSeconds(), slots.get(role), masquerade, comment, out);
      return;
    }
    int size = endpoints.size();
    if (size > 0) {
      // Changes with the endpoint count, in the same transaction as the group elements.
      Group group = Group.plain(space, size);
      out.element(space.dispatchMap(), new NftElement(key, ImmutableList.of(
          "goto " + (masquerade ? group.masqueradeChain() : group.name())), comment));
    }
    for (int i = 0; i < size; i++) {
      ServiceEndpoint e = endpoints.get(i);
      out.element(space.groupMap(size), NftElement.mapping(
          ImmutableList.<String>builder().addAll(key).add(Integer.toString(i)).build(),
          ImmutableList.of(e.address().toString(), Integer.toString(e.port()))));
    }
  }
}
