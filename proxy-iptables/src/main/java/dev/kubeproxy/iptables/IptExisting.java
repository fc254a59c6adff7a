package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableListMultimap;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one family's tables held when read ({@code iptables-save -t TABLE}, only before a full
 * sync): per table, its chains and each chain's rules as {@code iptables-save} prints them.
 */
public final class IptExisting {
  /** Nothing read: a kernel without any of our chains. */
  public static final IptExisting ABSENT = new IptExisting(ImmutableMap.of());

  /** One table's chains (built-in ones included) and rules per chain. */
  public record Table(ImmutableSet<String> chains, ImmutableListMultimap<String, String> rules) {
    public static final Table EMPTY = new Table(ImmutableSet.of(), ImmutableListMultimap.of());

    /**
     * Parses {@code iptables-save} output of one table ({@code :CHAIN POLICY [p:b]} and
     * {@code -A CHAIN spec} lines); comments, the table line and {@code COMMIT} are skipped.
     */
    public static Table parse(String save) {
      ImmutableSet.Builder<String> chains = ImmutableSet.builder();
      ImmutableListMultimap.Builder<String, String> rules = ImmutableListMultimap.builder();
      for (String raw : save.split("\n")) {
        String line = raw.strip();
        if (line.startsWith(":")) {
          int space = line.indexOf(' ');
          chains.add(space < 0 ? line.substring(1) : line.substring(1, space));
        } else if (line.startsWith("-A ")) {
          String rest = line.substring(3);
          int space = rest.indexOf(' ');
          if (space < 0) {
            rules.put(rest, "");
          } else {
            rules.put(rest.substring(0, space), rest.substring(space + 1));
          }
        }
      }
      return new Table(chains.build(), rules.build());
    }

    /** Whether {@code chain} holds a rule jumping to {@code target} with comment {@code comment}. */
    public boolean hasJump(String chain, String comment, String target) {
      if (comment.isEmpty()) {
        return rules.get(chain).contains("-j " + target);
      }
      String quoted = comment.indexOf(' ') >= 0 ? "\"" + comment + "\"" : comment;
      for (String spec : rules.get(chain)) {
        if (spec.endsWith("-j " + target) && spec.contains("--comment " + quoted)) {
          return true;
        }
      }
      return false;
    }
  }

  private final ImmutableMap<IptTable, Table> tables;

  private IptExisting(ImmutableMap<IptTable, Table> tables) {
    this.tables = tables;
  }

  public static IptExisting of(Map<IptTable, Table> tables) {
    return new IptExisting(ImmutableMap.copyOf(new EnumMap<>(tables)));
  }

  /** The table as read, or {@link Table#EMPTY}. */
  public Table table(IptTable table) {
    return tables.getOrDefault(table, Table.EMPTY);
  }

  /** Convenience for tests: the given tables' save texts. */
  public static IptExisting parse(Map<IptTable, String> saves) {
    Map<IptTable, Table> parsed = new EnumMap<>(IptTable.class);
    saves.forEach((t, text) -> parsed.put(t, Table.parse(text)));
    return of(parsed);
  }

  @Override
  public String toString() {
    return "IptExisting" + tables.keySet();
  }

  /** The tables this backend writes and reads: filter, nat, and mangle (only the canary). */
  static List<IptTable> ownTables() {
    return List.of(IptTable.FILTER, IptTable.NAT, IptTable.MANGLE);
  }
}
