package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.kit.SharedObjects;

/**
 * What the backend last committed to one table, so that a partial sync computes its delta
 * without listing the kernel: each service port's objects, who claims each element (the
 * smallest service port key wins when two claim one key, so results never depend on order),
 * the element count of each endpoint-count group map, and chains flushed but not yet deleted.
 * Immutable; updates share structure, so their cost follows the change, not the table.
 */
public final class NftState {
  private final ForwardingTable facts;
  private final PersistentMap<ServicePortKey, EntryObjects> entries;
  private final SharedObjects<ServicePortKey, SetElement.Id, NftElement> claims;
  private final ImmutableSortedMap<String, Integer> groupCounts;
  private final ImmutableSortedMap<String, Long> staleChains;

  NftState(
      ForwardingTable facts,
      PersistentMap<ServicePortKey, EntryObjects> entries,
      SharedObjects<ServicePortKey, SetElement.Id, NftElement> claims,
      ImmutableSortedMap<String, Integer> groupCounts,
      ImmutableSortedMap<String, Long> staleChains) {
    this.facts = facts;
    this.entries = entries;
    this.claims = claims;
    this.groupCounts = groupCounts;
    this.staleChains = staleChains;
  }

  /** The table whose table-wide facts the committed skeleton was built from. */
  ForwardingTable facts() {
    return facts;
  }

  PersistentMap<ServicePortKey, EntryObjects> entries() {
    return entries;
  }

  SharedObjects<ServicePortKey, SetElement.Id, NftElement> claims() {
    return claims;
  }

  ImmutableSortedMap<String, Integer> groupCounts() {
    return groupCounts;
  }

  /** Chains flushed by an earlier sync, with the nano time they were flushed at. */
  ImmutableSortedMap<String, Long> staleChains() {
    return staleChains;
  }
}
