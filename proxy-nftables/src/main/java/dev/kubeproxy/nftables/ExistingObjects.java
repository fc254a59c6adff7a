package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import com.google.common.collect.ImmutableSortedSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chains, sets and maps a table holds in the kernel, read before a full sync so that the
 * sync can replace the table's contents in place (keeping what the packet path stored in
 * dynamic sets) instead of deleting the table. Parsed from {@code nft -t list table} output,
 * which prints one object per block at one tab and its attributes at two tabs.
 */
public final class ExistingObjects {
  /** The table does not exist. */
  public static final ExistingObjects ABSENT = new ExistingObjects(
      false, false, ImmutableSortedMap.of(), ImmutableSortedMap.of(), AffinitySlots.NONE);

  private static final Pattern HEADER = Pattern.compile("table (ip6?) ([A-Za-z0-9_-]+) \\{");
  private static final Pattern OBJECT = Pattern.compile("([a-z]+(?: [a-z]+)?) (\\S+) \\{");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(d|h|ms|m|s)");

  private final boolean present;
  private final boolean foreign;
  private final ImmutableSortedMap<String, Boolean> chains;
  private final ImmutableSortedMap<String, Definition> sets;
  private final AffinitySlots slots;

  private ExistingObjects(boolean present, boolean foreign,
      ImmutableSortedMap<String, Boolean> chains, ImmutableSortedMap<String, Definition> sets,
      AffinitySlots slots) {
    this.present = present;
    this.foreign = foreign;
    this.chains = chains;
    this.sets = sets;
    this.slots = slots;
  }

  /**
   * A present table holding {@code chains} (name to whether it is a base chain) and {@code sets}
   * (sets and maps by name); {@code foreign} when it also holds objects of kinds this backend
   * never creates (flowtables, stateful objects).
   */
  public static ExistingObjects of(boolean foreign, ImmutableSortedMap<String, Boolean> chains,
      ImmutableSortedMap<String, Definition> sets) {
    return new ExistingObjects(true, foreign, chains, sets, AffinitySlots.NONE);
  }

  /**
   * The objects a transaction that creates one table holds (what {@link FakeNftKernel} lists):
   * its chains and their base-ness, its sets and maps with their definitions, and the slot
   * tables of its affinity group maps' elements.
   */
  public static ExistingObjects of(NftTransaction creation) {
    TreeMap<String, Boolean> chains = new TreeMap<>();
    TreeMap<String, Definition> sets = new TreeMap<>();
    AffinitySlots.Builder slots = AffinitySlots.builder();
    for (NftOp op : creation.ops()) {
      if (op instanceof NftOp.AddElement a) {
        Group group = Group.parse(a.set());
        if (group != null && group.isAffinity()) {
          slots.add(group, a.element().key(), a.element().value());
        }
      }
      if (op instanceof NftOp.AddChain c) {
        chains.put(c.name(), c.base() != null);
      } else if (op instanceof NftOp.AddSet s) {
        sets.put(s.name(), Definition.of(s));
      } else if (op instanceof NftOp.AddMap m) {
        sets.put(m.name(), Definition.of(m));
      }
    }
    return of(false, ImmutableSortedMap.copyOfSorted(chains), ImmutableSortedMap.copyOfSorted(sets))
        .withSlots(slots.build());
  }

  /** These objects with {@code slots}, the slot tables read from the affinity group maps. */
  ExistingObjects withSlots(AffinitySlots slots) {
    return new ExistingObjects(present, foreign, chains, sets, Objects.requireNonNull(slots));
  }

  /**
   * Parses {@code nft -t list table} output of one table.
   *
   * @throws IllegalArgumentException when the text is not such a listing
   */
  public static ExistingObjects parse(String listing) {
    List<String> lines = Splitter.on('\n').omitEmptyStrings().splitToList(listing);
    checkArgument(!lines.isEmpty() && HEADER.matcher(lines.get(0)).matches(),
        "not a table listing: %s", lines.isEmpty() ? "" : lines.get(0));
    checkArgument(lines.get(lines.size() - 1).equals("}"), "table listing is not closed");
    TreeMap<String, Boolean> chains = new TreeMap<>();
    TreeMap<String, Definition> sets = new TreeMap<>();
    boolean foreign = false;
    String kind = null;
    String name = null;
    DefinitionParser definition = null;
    for (String line : lines.subList(1, lines.size() - 1)) {
      if (line.isBlank()) {
        continue;
      }
      boolean top = line.startsWith("\t") && !line.startsWith("\t\t");
      String text = line.strip();
      if (top && kind == null) {
        if (text.startsWith("comment \"") || text.startsWith("flags ")) {
          continue;
        }
        Matcher m = OBJECT.matcher(text);
        checkArgument(m.matches(), "unexpected line in table listing: %s", line);
        kind = m.group(1);
        name = m.group(2);
        switch (kind) {
          case "chain" -> chains.put(name, false);
          case "set", "map" -> definition = new DefinitionParser(kind.equals("map"));
          default -> foreign = true;
        }
      } else if (top) {
        checkArgument(text.equals("}"), "unexpected line in table listing: %s", line);
        if (definition != null) {
          sets.put(name, definition.build());
        }
        kind = null;
        definition = null;
      } else {
        checkArgument(kind != null, "unexpected line in table listing: %s", line);
        if (kind.equals("chain") && line.startsWith("\t\ttype ") && text.contains(" hook ")) {
          chains.put(name, true);
        } else if (definition != null) {
          definition.accept(line);
        }
      }
    }
    checkArgument(kind == null, "object %s is not closed", name);
    return of(foreign, ImmutableSortedMap.copyOfSorted(chains), ImmutableSortedMap.copyOfSorted(sets));
  }

  /** Whether the table exists. */
  public boolean present() {
    return present;
  }

  /** Whether the table holds objects of kinds this backend never creates. */
  public boolean foreign() {
    return foreign;
  }

  /** Chain names, each mapped to whether it is a base chain (has a hook). */
  public ImmutableSortedMap<String, Boolean> chains() {
    return chains;
  }

  /** Sets and maps by name. */
  public ImmutableSortedMap<String, Definition> sets() {
    return sets;
  }

  /** The ClientIP affinity slot tables the group maps hold ({@link AffinitySlots#NONE} if unread). */
  AffinitySlots slots() {
    return slots;
  }

  /** Names of the ClientIP affinity group maps, whose elements carry the slot tables. */
  ImmutableList<String> affinityMaps() {
    ImmutableList.Builder<String> maps = ImmutableList.builder();
    for (Map.Entry<String, Definition> e : sets.entrySet()) {
      Group group = Group.parse(e.getKey());
      if (e.getValue().map() && group != null && group.isAffinity()) {
        maps.add(e.getKey());
      }
    }
    return maps.build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExistingObjects e && present == e.present && foreign == e.foreign
        && chains.equals(e.chains) && sets.equals(e.sets) && slots.equals(e.slots);
  }

  @Override
  public int hashCode() {
    return Objects.hash(present, foreign, chains, sets, slots);
  }

  @Override
  public String toString() {
    return present ? "ExistingObjects{chains=" + chains + ", sets=" + sets + "}" : "absent";
  }

  /**
   * What {@code add set}/{@code add map} would have to repeat for an existing set to stay as it
   * is: its type line as nft prints it, flags, timeout, size and comment; {@code other} lists
   * attribute lines not understood, so such a set never compares equal to a compiled one.
   */
  public record Definition(boolean map, String type, ImmutableSortedSet<String> flags,
      long timeoutMillis, int size, String comment, ImmutableList<String> other) {
    public Definition {
      Objects.requireNonNull(type);
      Objects.requireNonNull(flags);
      Objects.requireNonNull(other);
    }

    /** The definition an {@link NftOp.AddSet} or {@link NftOp.AddMap} creates. */
    public static Definition of(NftOp op) {
      if (op instanceof NftOp.AddSet s) {
        return new Definition(false, s.keyType().keyword() + " " + s.keyType().expression(),
            s.flags(), s.timeoutSeconds() * 1000L, s.size(), s.comment(), ImmutableList.of());
      }
      NftOp.AddMap m = (NftOp.AddMap) op;
      return new Definition(true, m.keyType().keyword() + " " + m.keyType().expression() + " : "
          + m.valueType().expression(), m.flags(), 0, m.size(), m.comment(), ImmutableList.of());
    }
  }

  /** Collects the attribute lines of one set or map. */
  private static final class DefinitionParser {
    private final boolean map;
    private String type;
    private ImmutableSortedSet<String> flags = ImmutableSortedSet.of();
    private long timeoutMillis;
    private int size;
    private String comment;
    private final ImmutableList.Builder<String> other = ImmutableList.builder();

    DefinitionParser(boolean map) {
      this.map = map;
    }

    void accept(String line) {
      String text = line.strip();
      if (!line.startsWith("\t\t") || line.startsWith("\t\t\t")) {
        other.add(text);
      } else if (type == null && (text.startsWith("type ") || text.startsWith("typeof "))) {
        type = text;
      } else if (text.startsWith("flags ")) {
        flags = ImmutableSortedSet.copyOf(Splitter.on(',').split(text.substring(6)));
      } else if (text.matches("timeout (\\d+(d|h|ms|m|s))+")) {
        timeoutMillis = millis(text.substring(8));
      } else if (text.matches("size \\d{1,9}")) {
        size = Integer.parseInt(text.substring(5));
      } else if (text.matches("comment \"[^\"]*\"")) {
        comment = text.substring(9, text.length() - 1);
      } else {
        other.add(text);
      }
    }

    Definition build() {
      checkArgument(type != null, "set or map without a type in table listing");
      return new Definition(map, type, flags, timeoutMillis, size, comment, other.build());
    }

    private static long millis(String duration) {
      long total = 0;
      Matcher m = DURATION.matcher(duration);
      while (m.find()) {
        long n = Long.parseLong(m.group(1));
        total += switch (m.group(2)) {
          case "d" -> n * 86_400_000L;
          case "h" -> n * 3_600_000L;
          case "m" -> n * 60_000L;
          case "s" -> n * 1000L;
          default -> n;
        };
      }
      return total;
    }
  }
}
