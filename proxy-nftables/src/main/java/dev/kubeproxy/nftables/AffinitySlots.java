package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.IpAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The ClientIP affinity slot tables the kernel's group maps hold ({@code frontend . slot :
 * endpoint}), per dispatch space and frontend: read before a full sync so that a backend with no
 * committed state (after a restart or a failed sync) gives each surviving endpoint its old slot,
 * and so keeps every remembered client on its endpoint. Immutable.
 */
final class AffinitySlots {
  /** No slot known: every list is numbered afresh. */
  static final AffinitySlots NONE = new AffinitySlots(ImmutableMap.of());

  private static final Splitter ELEMENTS = Splitter.on(',').trimResults().omitEmptyStrings();
  private static final Splitter PARTS = Splitter.on(" . ").trimResults();

  private final ImmutableMap<Owner, ImmutableList<String>> tables;

  private AffinitySlots(ImmutableMap<Owner, ImmutableList<String>> tables) {
    this.tables = tables;
  }

  /** Whose slot table: one frontend ({@code address . proto . port} or {@code proto . port}) of a space. */
  private record Owner(DispatchSpace space, ImmutableList<String> frontend) {}

  /**
   * The slot table of {@code frontend} in {@code space} (endpoint ids as {@link
   * AffinityObjects#id}, {@link AffinityObjects#HOLE} for empty slots), or empty if unknown.
   */
  ImmutableList<String> table(DispatchSpace space, ImmutableList<String> frontend) {
    return tables.getOrDefault(new Owner(space, frontend), ImmutableList.of());
  }

  boolean isEmpty() {
    return tables.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AffinitySlots s && tables.equals(s.tables);
  }

  @Override
  public int hashCode() {
    return tables.hashCode();
  }

  @Override
  public String toString() {
    return "AffinitySlots" + tables;
  }

  static Builder builder() {
    return new Builder();
  }

  /**
   * Collects group map elements, checking each as it comes, so a listing that is not what this
   * backend wrote is refused as a whole rather than half believed.
   */
  static final class Builder {
    private final Map<Owner, TreeMap<Integer, String>> slots = new LinkedHashMap<>();
    private final Map<Owner, String> groupOf = new HashMap<>();

    /**
     * Adds element {@code key : value} of affinity group map {@code group}: key {@code frontend .
     * slot}, value {@code address . port}.
     *
     * @throws IllegalArgumentException when the element is not one this backend writes
     */
    Builder add(Group group, List<String> key, List<String> value) {
      checkArgument(group.isAffinity(), "%s is not an affinity group", group);
      DispatchSpace space = group.space();
      int frontendParts = space.byAddress() ? 3 : 2;
      checkArgument(key.size() == frontendParts + 1, "unexpected key %s in %s", key, group.name());
      checkArgument(value.size() == 2, "unexpected value %s in %s", value, group.name());
      int slot = number(key.get(frontendParts), group.size() - 1, "slot");
      String address = IpAddress.parse(value.get(0)).toString();
      int port = number(value.get(1), 65535, "port");
      checkArgument(port > 0, "port 0 in %s", group.name());
      ImmutableList<String> frontend = ImmutableList.copyOf(key.subList(0, frontendParts));
      if (space.byAddress()) {
        frontend = ImmutableList.of(IpAddress.parse(frontend.get(0)).toString(), frontend.get(1),
            frontend.get(2));
      }
      Owner owner = new Owner(space, frontend);
      String was = groupOf.putIfAbsent(owner, group.name());
      checkArgument(was == null || was.equals(group.name()),
          "frontend %s in two groups, %s and %s", frontend, was, group.name());
      TreeMap<Integer, String> table = slots.computeIfAbsent(owner, o -> new TreeMap<>());
      String id = address + "/" + port;
      checkArgument(!table.containsValue(id), "endpoint %s in two slots of %s", id, frontend);
      checkArgument(table.put(slot, id) == null, "slot %s twice for %s", slot, frontend);
      return this;
    }

    /**
     * Adds every element of {@code nft list map} output of affinity group map {@code group}.
     *
     * @throws IllegalArgumentException when the listing is not such a map as this backend writes
     */
    Builder addListing(Group group, String listing) {
      String text = Objects.requireNonNull(listing);
      checkArgument(text.contains("map " + group.name() + " {"), "not a listing of %s", group.name());
      int open = text.indexOf("elements = {");
      if (open < 0) {
        return this;
      }
      int close = text.indexOf('}', open);
      checkArgument(close > 0, "elements of %s are not closed", group.name());
      for (String element : ELEMENTS.split(text.substring(open + "elements = {".length(), close))) {
        List<String> sides = Splitter.on(" : ").trimResults().splitToList(element);
        checkArgument(sides.size() == 2, "unexpected element %s in %s", element, group.name());
        add(group, PARTS.splitToList(sides.get(0)), PARTS.splitToList(sides.get(1)));
      }
      return this;
    }

    AffinitySlots build() {
      ImmutableMap.Builder<Owner, ImmutableList<String>> tables = ImmutableMap.builder();
      for (Map.Entry<Owner, TreeMap<Integer, String>> e : slots.entrySet()) {
        List<String> table = new ArrayList<>();
        for (Map.Entry<Integer, String> s : e.getValue().entrySet()) {
          while (table.size() < s.getKey()) {
            table.add(AffinityObjects.HOLE);
          }
          table.add(s.getValue());
        }
        tables.put(e.getKey(), ImmutableList.copyOf(table));
      }
      return new AffinitySlots(tables.build());
    }

    private static int number(String text, int max, String what) {
      checkArgument(text.matches("[0-9]{1,5}"), "unexpected %s %s", what, text);
      int n = Integer.parseInt(text);
      checkArgument(n <= max, "%s %s above %s", what, n, max);
      return n;
    }
  }
}
