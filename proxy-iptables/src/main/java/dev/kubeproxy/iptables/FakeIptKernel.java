package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.iptables.IptOp.AppendRule;
import dev.kubeproxy.iptables.IptOp.DeclareChain;
import dev.kubeproxy.iptables.IptOp.DeleteChain;
import dev.kubeproxy.iptables.IptOp.DeleteRule;
import dev.kubeproxy.iptables.IptOp.FlushChain;
import dev.kubeproxy.iptables.IptOp.InsertRule;
import dev.kubeproxy.iptables.IptOp.ReplaceRule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory kernel that applies the same transactions as {@link RealIptKernel}, each table
 * all or nothing, and refuses what iptables refuses: rules in or jumping to chains that do not
 * exist, deleting a rule that is not there, deleting a built-in, non-empty or referenced chain,
 * positions past the end. Lets users and tests run the backend with no root and no kernel.
 */
public final class FakeIptKernel implements IptKernel {
  /** Targets that are not chains. */
  private static final ImmutableSet<String> TARGETS = ImmutableSet.of("ACCEPT", "DROP", "REJECT",
      "RETURN", "MARK", "MASQUERADE", "DNAT", "SNAT", "LOG", "CONNMARK", "NOTRACK");

  private final IptRenderer renderer = new IptRenderer();
  private final Map<IpFamily, Map<IptTable, Map<String, List<IptRule>>>> kernel =
      new EnumMap<>(IpFamily.class);
  private int applied;
  private int reads;
  private boolean routeLocalnet;

  @Override
  public synchronized long apply(IpFamily family, IptTransaction transaction) throws IptException {
    Map<IptTable, Map<String, List<IptRule>>> next = new EnumMap<>(IptTable.class);
    for (Map.Entry<IptTable, ImmutableList<IptOp>> e : transaction.tables().entrySet()) {
      Map<String, List<IptRule>> table = copy(tables(family).get(e.getKey()));
      for (IptOp op : e.getValue()) {
        step(e.getKey(), table, op);
      }
      next.put(e.getKey(), table);
    }
    tables(family).putAll(next);
    applied++;
    return renderer.render(transaction).getBytes(StandardCharsets.UTF_8).length;
  }

  @Override
  public synchronized IptExisting read(IpFamily family) {
    reads++;
    Map<IptTable, IptExisting.Table> out = new EnumMap<>(IptTable.class);
    for (IptTable t : IptExisting.ownTables()) {
      out.put(t, IptExisting.Table.parse(save(family, t)));
    }
    return IptExisting.of(out);
  }

  @Override
  public synchronized boolean canaryPresent(IpFamily family) {
    for (IptTable t : IptTable.values()) {
      if (!tables(family).get(t).containsKey(IptNames.CANARY)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public synchronized void enableRouteLocalnet() {
    routeLocalnet = true;
  }

  /** Whether {@link #enableRouteLocalnet} was called. */
  public synchronized boolean routeLocalnet() {
    return routeLocalnet;
  }

  /** Empties a table of every chain but the built-in ones, as a firewall reload would. */
  public synchronized void flushTable(IpFamily family, IptTable table) {
    Map<String, List<IptRule>> chains = tables(family).get(table);
    chains.keySet().retainAll(table.builtinChains());
    chains.values().forEach(List::clear);
  }

  /** The table as {@code iptables-save -t} would list it (with our spelling of each rule). */
  public synchronized String save(IpFamily family, IptTable table) {
    Map<String, List<IptRule>> chains = tables(family).get(table);
    StringBuilder s = new StringBuilder("*").append(table.tableName()).append('\n');
    for (String chain : chains.keySet()) {
      s.append(':').append(chain)
          .append(table.builtinChains().contains(chain) ? " ACCEPT [0:0]" : " - [0:0]").append('\n');
    }
    for (List<IptRule> rules : chains.values()) {
      for (IptRule r : rules) {
        s.append(r).append('\n');
      }
    }
    return s.append("COMMIT\n").toString();
  }

  /** The rules of one chain, or null when it does not exist. */
  public synchronized List<IptRule> chain(IpFamily family, IptTable table, String chain) {
    List<IptRule> rules = tables(family).get(table).get(chain);
    return rules == null ? null : List.copyOf(rules);
  }

  /** Every chain of a table with its rules, built-in chains included. */
  public synchronized Map<String, List<IptRule>> chains(IpFamily family, IptTable table) {
    return copy(tables(family).get(table));
  }

  /** Adds a rule of someone else, as a user or another program would. */
  public synchronized void addForeignRule(IpFamily family, IptTable table, IptRule rule) {
    tables(family).get(table).get(rule.chain()).add(rule);
  }

  /** How many times a family's tables were read. */
  public synchronized int reads() {
    return reads;
  }

  /** How many transactions were applied. */
  public synchronized int appliedTransactions() {
    return applied;
  }

  private Map<IptTable, Map<String, List<IptRule>>> tables(IpFamily family) {
    return kernel.computeIfAbsent(family, f -> {
      Map<IptTable, Map<String, List<IptRule>>> tables = new EnumMap<>(IptTable.class);
      for (IptTable t : IptTable.values()) {
        Map<String, List<IptRule>> chains = new LinkedHashMap<>();
        for (String builtin : t.builtinChains()) {
          chains.put(builtin, new ArrayList<>());
        }
        tables.put(t, chains);
      }
      return tables;
    });
  }

  private static Map<String, List<IptRule>> copy(Map<String, List<IptRule>> chains) {
    Map<String, List<IptRule>> copy = new LinkedHashMap<>();
    chains.forEach((k, v) -> copy.put(k, new ArrayList<>(v)));
    return copy;
  }

  private static void step(IptTable t, Map<String, List<IptRule>> table, IptOp op)
      throws IptException {
    String chain = op.chain();
    if (op instanceof DeclareChain) {
      if (t.builtinChains().contains(chain)) {
        throw refuse(t, op, "cannot declare a built-in chain this way");
      }
      table.put(chain, new ArrayList<>());
      return;
    }
    List<IptRule> rules = table.get(chain);
    if (rules == null) {
      throw refuse(t, op, "chain " + chain + " does not exist");
    }
    if (op instanceof FlushChain) {
      rules.clear();
    } else if (op instanceof DeleteChain) {
      if (t.builtinChains().contains(chain)) {
        throw refuse(t, op, "cannot delete a built-in chain");
      }
      if (!rules.isEmpty()) {
        throw refuse(t, op, "chain " + chain + " is not empty");
      }
      for (List<IptRule> other : table.values()) {
        for (IptRule r : other) {
          if (chain.equals(r.target())) {
            throw refuse(t, op, "chain " + chain + " is referenced by " + r);
          }
        }
      }
      table.remove(chain);
    } else if (op instanceof AppendRule a) {
      checkTarget(t, table, op, a.rule());
      rules.add(a.rule());
    } else if (op instanceof InsertRule i) {
      checkTarget(t, table, op, i.rule());
      if (i.position() > rules.size() + 1) {
        throw refuse(t, op, "index of insertion too big");
      }
      rules.add(i.position() - 1, i.rule());
    } else if (op instanceof ReplaceRule r) {
      checkTarget(t, table, op, r.rule());
      if (r.position() > rules.size()) {
        throw refuse(t, op, "index of replacement too big");
      }
      rules.set(r.position() - 1, r.rule());
    } else if (op instanceof DeleteRule d) {
      if (!rules.remove(d.rule())) {
        throw refuse(t, op, "bad rule (does a matching rule exist in that chain?)");
      }
    }
  }

  private static void checkTarget(IptTable t, Map<String, List<IptRule>> table, IptOp op,
      IptRule rule) throws IptException {
    String target = rule.target();
    if (target != null && !TARGETS.contains(target) && !table.containsKey(target)) {
      throw refuse(t, op, "couldn't load target `" + target + "'");
    }
    if (target != null && t.builtinChains().contains(target)) {
      throw refuse(t, op, "cannot jump to a built-in chain");
    }
  }

  private static IptException refuse(IptTable t, IptOp op, String why) {
    return new IptException("iptables-restore (fake): table " + t.tableName() + ": "
        + new IptRenderer().line(op) + ": " + why);
  }
}
