package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.nftables.NftOp.AddSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Everything one service port contributes to a table: elements of shared sets and maps, and
 * the slot tables of its ClientIP affinity lists (see {@link AffinityObjects}); chains and sets
 * of its own are not used by the current layout. Comparing two of these tells a partial
 * sync exactly what to change for that service port.
 */
record EntryObjects(
    ImmutableSet<SetElement> elements,
    ImmutableMap<String, ImmutableList<NftRule>> chains,
    ImmutableMap<String, AddSet> sets,
    ImmutableMap<EndpointRole, ImmutableList<String>> slots) {
  static final EntryObjects EMPTY =
      new EntryObjects(ImmutableSet.of(), ImmutableMap.of(), ImmutableMap.of(), ImmutableMap.of());

  /** The ClientIP affinity slot table of {@code role}'s list (empty if none). */
  ImmutableList<String> slots(EndpointRole role) {
    return slots.getOrDefault(role, ImmutableList.of());
  }

  /** The shared elements this service port claims, by what identifies each in the kernel. */
  ImmutableMap<SetElement.Id, NftElement> claims() {
    ImmutableMap.Builder<SetElement.Id, NftElement> claims = ImmutableMap.builder();
    for (SetElement element : elements) {
      claims.put(element.id(), element.element());
    }
    return claims.buildKeepingLast();
  }

  /** Collects a service port's objects. */
  static final class Builder {
    private final Set<SetElement> elements = new LinkedHashSet<>();
    private final Map<String, ImmutableList<NftRule>> chains = new LinkedHashMap<>();
    private final Map<String, AddSet> sets = new LinkedHashMap<>();
    private final Map<EndpointRole, ImmutableList<String>> slots = new LinkedHashMap<>();

    Builder element(String set, NftElement element) {
      elements.add(new SetElement(set, element));
      return this;
    }

    Builder chain(String name, ImmutableList<NftRule> rules) {
      chains.put(name, rules);
      return this;
    }

    Builder set(AddSet set) {
      sets.put(set.name(), set);
      return this;
    }

    Builder slots(EndpointRole role, ImmutableList<String> table) {
      slots.put(role, table);
      return this;
    }

    EntryObjects build() {
      return new EntryObjects(ImmutableSet.copyOf(elements), ImmutableMap.copyOf(chains),
          ImmutableMap.copyOf(sets), ImmutableMap.copyOf(slots));
    }
  }
}
