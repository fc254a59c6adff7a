package dev.kubeproxy.model.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Kernel listings normalised so that equal rules read equal whatever order they were created
 * in: what the kernel orders by history (objects in a table, elements in a set, chains in
 * iptables-save, counters) is sorted or dropped; what carries meaning (rules within a chain) is
 * kept in order.
 */
public final class Listings {
  private Listings() {}

  /**
   * {@code nft list ruleset} text: each table's sets, maps and chains sorted by their header,
   * each {@code elements = { ... }} list sorted, and counters dropped; tables sorted.
   */
  public static String nftables(String ruleset) {
    List<String> lines = joinElementLines(ruleset.lines().toList());
    // Blocks: depth-1 lines open tables, depth-2 blocks are sets, maps, chains...
    Map<String, List<String>> tables = new TreeMap<>();
    List<String> tableBody = null;
    List<String> block = null;
    List<String> blocks = null;
    int depth = 0;
    for (String raw : lines) {
      String line = normalizeLine(raw.strip());
      if (line.isEmpty()) {
        continue;
      }
      int opens = count(line, '{');
      int closes = count(line, '}');
      if (depth == 0) {
        tableBody = new ArrayList<>();
        blocks = new ArrayList<>();
        tables.put(line, tableBody);
      } else if (depth == 1 && opens > closes) {
        block = new ArrayList<>();
        block.add(line);
      } else if (depth == 1 && closes > opens) {
        blocks.sort(null);
        tableBody.addAll(blocks);
      } else if (depth == 1) {
        blocks.add(line);
      } else if (depth == 2 && closes > opens) {
        block.add(line);
        blocks.add(String.join("\n", block));
        block = null;
      } else {
        block.add(line);
      }
      depth += opens - closes;
    }
    StringBuilder out = new StringBuilder();
    tables.forEach((header, body) -> {
      out.append(header).append('\n');
      body.forEach(b -> out.append(b).append('\n'));
    });
    return out.toString();
  }

  /** Joins an {@code elements = { ...} } list spread over lines into one, its elements sorted. */
  private static List<String> joinElementLines(List<String> lines) {
    List<String> out = new ArrayList<>();
    StringBuilder pending = null;
    for (String line : lines) {
      if (pending == null && line.strip().startsWith("elements = {")) {
        pending = new StringBuilder(line.strip());
      } else if (pending != null) {
        pending.append(' ').append(line.strip());
      } else {
        out.add(line);
        continue;
      }
      String text = pending.toString();
      if (count(text, '{') == count(text, '}')) {
        String inner = text.substring(text.indexOf('{') + 1, text.lastIndexOf('}'));
        String[] elements = inner.split(",");
        for (int i = 0; i < elements.length; i++) {
          elements[i] = elements[i].strip();
        }
        Arrays.sort(elements);
        out.add("elements = { " + String.join(", ", elements) + " }");
        pending = null;
      }
    }
    return out;
  }

  /**
   * {@code iptables-save} text: comments and counters dropped, each table's chain declarations
   * sorted and its rules grouped by chain (in their order within the chain), chains sorted.
   */
  public static String iptablesSave(String save) {
    StringBuilder out = new StringBuilder();
    List<String> declarations = new ArrayList<>();
    Map<String, List<String>> rules = new LinkedHashMap<>();
    for (String raw : save.lines().toList()) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("*")) {
        out.append(line).append('\n');
      } else if (line.startsWith(":")) {
        declarations.add(line.replaceAll("\\[\\d+:\\d+\\]", "").strip());
      } else if (line.startsWith("-A ")) {
        String chain = line.split(" ", 3)[1];
        rules.computeIfAbsent(chain, c -> new ArrayList<>()).add(line.replaceAll("^\\[\\d+:\\d+\\] ", ""));
      } else if (line.equals("COMMIT")) {
        declarations.sort(null);
        declarations.forEach(d -> out.append(d).append('\n'));
        new TreeMap<>(rules).values().forEach(rs -> rs.forEach(r -> out.append(r).append('\n')));
        out.append(line).append('\n');
        declarations.clear();
        rules.clear();
      } else {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  private static String normalizeLine(String line) {
    return line.replaceAll("counter packets \\d+ bytes \\d+", "counter");
  }

  private static int count(String s, char c) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == c) {
        n++;
      }
    }
    return n;
  }
}
