package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import com.google.common.hash.Hashing;
import com.google.common.primitives.Ints;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.nftables.NftOp.AddSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * ClientIP affinity, the one feature that gets per-service objects, a constant number of them
 * whatever the endpoint count: one timeout set per service port remembering {@code client .
 * slot} pairs, and a chain per endpoint list the service uses.
 *
 * <p>Each endpoint has a 32-bit slot derived from its address and port, so it is stable while
 * the endpoint lives. A rule per endpoint sends a client found with that endpoint's slot there
 * again (its {@code update} refreshes the timeout); others get a random endpoint ({@code numgen
 * random mod (n-i)} per rule, so each is equally likely) and are remembered. A removed
 * endpoint's rule is gone, so its clients match no slot, are re-balanced and remembered anew;
 * their stale pairs just time out. The slot enters the key as {@code numgen random mod 1 offset
 * SLOT} because nft rejects constants inside a concatenated lookup; {@code mod 1} makes it
 * constant. No rule jumps, so refilling these chains costs the kernel no graph validation.
 */
final class AffinityObjects {
  /** The type of the key's second part: a 32-bit number, as the slot expression produces. */
  private static final String SLOT_TYPE = "numgen random mod 1";

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
    List<EndpointRole> used = new ArrayList<>();
    if (clusterIp) {
      used.add(EndpointRole.INTERNAL);
    }
    if (external) {
      used.add(EndpointRole.EXTERNAL);
    }
    if (external && entry.externalPolicyLocal()) {
      used.add(EndpointRole.CLUSTER);
    }
    if (used.isEmpty()) {
      return;
    }
    String set = NftNames.affinitySet(entry.key());
    for (EndpointRole role : used) {
      out.chain(role.chain(entry), rules(entry, syntax, set, role.endpoints(entry)));
    }
    out.set(new AddSet(table, set, NftType.typeOf(syntax.ip() + " saddr . " + SLOT_TYPE),
        ImmutableSortedSet.of("dynamic", "timeout"), entry.affinity().timeoutSeconds(),
        CLIENTS_PER_SERVICE_PORT, null));
  }

  // One set holds every client of the service port (upstream: 65535 per endpoint set), so it is
  // sized well above nft's default of 65535; hash sets allocate only for elements present.
  private static final int CLIENTS_PER_SERVICE_PORT = 1 << 20;

  /** The endpoint's slot: the first four bytes of sha256({@code address/port}), big-endian. */
  private static long slot(ServiceEndpoint endpoint) {
    String id = endpoint.address() + "/" + endpoint.port();
    byte[] digest = Hashing.sha256().hashString(id, StandardCharsets.UTF_8).asBytes();
    return Integer.toUnsignedLong(Ints.fromByteArray(digest));
  }

  private static ImmutableList<NftRule> rules(ServiceEntry entry, FamilySyntax syntax, String set,
      List<ServiceEndpoint> endpoints) {
    String proto = "meta l4proto " + entry.key().protocol().lowerName() + " ";
    ImmutableList.Builder<NftRule> rules = ImmutableList.builder();
    for (int i = 0; i < endpoints.size(); i++) {
      ServiceEndpoint e = endpoints.get(i);
      String key = clientKey(syntax, e);
      rules.add(NftRule.of(proto + key + " @" + set + " " + remember(set, key, e),
          i == 0 ? "clients seen within the timeout keep their endpoint" : null));
    }
    int n = endpoints.size();
    for (int i = 0; i < n; i++) {
      ServiceEndpoint e = endpoints.get(i);
      String pick = i < n - 1 ? "numgen random mod " + (n - i) + " == 0 " : "";
      rules.add(NftRule.of(proto + pick + remember(set, clientKey(syntax, e), e),
          i == 0 ? "new clients get a random endpoint" : null));
    }
    return rules.build();
  }

  /** {@code ip saddr . numgen random mod 1 offset SLOT}: the client paired with the endpoint. */
  private static String clientKey(FamilySyntax syntax, ServiceEndpoint e) {
    return syntax.ip() + " saddr . numgen random mod 1 offset " + slot(e);
  }

  private static String remember(String set, String key, ServiceEndpoint e) {
    return "update @" + set + " { " + key + " } dnat to "
        + FamilySyntax.dnatTarget(e.address(), e.port());
  }
}
