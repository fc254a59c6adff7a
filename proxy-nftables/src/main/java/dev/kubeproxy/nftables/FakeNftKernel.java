package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.nftables.NftOp.AddChain;
import dev.kubeproxy.nftables.NftOp.AddElement;
import dev.kubeproxy.nftables.NftOp.AddMap;
import dev.kubeproxy.nftables.NftOp.AddRule;
import dev.kubeproxy.nftables.NftOp.AddSet;
import dev.kubeproxy.nftables.NftOp.AddTable;
import dev.kubeproxy.nftables.NftOp.DeleteChain;
import dev.kubeproxy.nftables.NftOp.DeleteElement;
import dev.kubeproxy.nftables.NftOp.DeleteSet;
import dev.kubeproxy.nftables.NftOp.DeleteTable;
import dev.kubeproxy.nftables.NftOp.FlushChain;
import dev.kubeproxy.nftables.NftOp.FlushSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-memory nftables that applies the same structured transactions as the real kernel, with
 * the kernel's refusals (missing table, chain, set or element; deleting a referenced or
 * non-empty chain or a referenced set; a conflicting element or redefinition) and its
 * atomicity: a failing transaction leaves the state untouched. Lets users run the backend with
 * no root and no kernel, and tests inspect what was programmed. Not thread-safe.
 */
public final class FakeNftKernel implements NftKernel {
  private static final Pattern SET_REF = Pattern.compile("@([A-Za-z0-9_./:-]+)");
  private static final Pattern CHAIN_REF = Pattern.compile("\\b(?:jump|goto) ([A-Za-z0-9_./:-]+)");

  private Map<NftTable, Table> tables = new TreeMap<>(
      (a, b) -> (a.family() + a.name()).compareTo(b.family() + b.name()));
  private final NftRenderer renderer = new NftRenderer();
  private int transactions;
  private int objectListings;

  @Override
  public long apply(NftTransaction transaction) throws NftException {
    Map<NftTable, Table> working = new TreeMap<>(((TreeMap<NftTable, Table>) tables).comparator());
    working.putAll(tables);
    Set<Object> copied = new HashSet<>();
    int index = 0;
    for (NftOp op : transaction.ops()) {
      index++;
      try {
        applyOne(op, working, copied);
      } catch (NftException e) {
        throw new NftException("operation " + index + " (" + op + "): " + e.getMessage());
      }
    }
    tables = working;
    transactions++;
    return renderer.render(transaction).getBytes(StandardCharsets.UTF_8).length;
  }

  /** How many transactions were applied successfully. */
  public int transactions() {
    return transactions;
  }

  public boolean hasTable(NftTable table) {
    return tables.containsKey(table);
  }

  /** The elements of a set or map as rendered keys ({@code key} or {@code key : value}), sorted. */
  public List<String> elements(NftTable table, String set) {
    Table t = tables.get(table);
    Sett s = t == null ? null : t.sets.get(set);
    if (s == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (NftElement e : s.elements.values()) {
      out.add(e.value().isEmpty() ? e.keyText() : e.keyText() + " : " + e.valueText());
    }
    out.sort(null);
    return out;
  }

  /** The rules of a chain, rendered as in {@code nft -f} (text plus comment), or empty. */
  public List<String> rules(NftTable table, String chain) {
    Table t = tables.get(table);
    Chain c = t == null ? null : t.chains.get(chain);
    if (c == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (NftRule r : c.rules) {
      out.add(r.comment() == null ? r.text() : r.text() + " comment \"" + r.comment() + "\"");
    }
    return out;
  }

  /** Names of the chains of {@code table}, sorted. */
  public List<String> chains(NftTable table) {
    Table t = tables.get(table);
    return t == null ? List.of() : t.chains.keySet().stream().sorted().toList();
  }

  /** Names of the sets and maps of {@code table}, sorted. */
  public List<String> sets(NftTable table) {
    Table t = tables.get(table);
    return t == null ? List.of() : t.sets.keySet().stream().sorted().toList();
  }

  @Override
  public String list(NftTable table) throws NftException {
    Table t = tables.get(table);
    if (t == null) {
      throw new NftException("Error: No such file or directory: table " + table);
    }
    return renderer.render(snapshot(table, t));
  }

  /** The objects of {@code table}, read from the same snapshot {@link #list} prints. */
  @Override
  public ExistingObjects objects(NftTable table) {
    objectListings++;
    Table t = tables.get(table);
    return t == null ? ExistingObjects.ABSENT : ExistingObjects.of(snapshot(table, t));
  }

  /** How many times {@link #objects} was called. */
  public int objectListings() {
    return objectListings;
  }

  /**
   * Every table as the {@code nft -f} text that would re-create it, through the same renderer
   * the backend uses (as knftables' fake dumps): sets and chains sorted by name, then elements
   * (sorted), then each chain's rules in order.
   */
  public String dump() {
    List<NftOp> ops = new ArrayList<>();
    for (Map.Entry<NftTable, Table> e : tables.entrySet()) {
      ops.addAll(snapshot(e.getKey(), e.getValue()).ops());
    }
    return renderer.render(NftTransaction.of(ops));
  }

  /** The transaction that creates {@code t} as it is now, in an empty kernel. */
  private NftTransaction snapshot(NftTable name, Table t) {
    List<NftOp> ops = new ArrayList<>();
    ops.add(new AddTable(name, t.comment));
    List<String> setNames = t.sets.keySet().stream().sorted().toList();
    List<String> chainNames = t.chains.keySet().stream().sorted().toList();
    for (String setName : setNames) {
      ops.add(t.sets.get(setName).declaration);
    }
    for (String chainName : chainNames) {
      ops.add(new AddChain(name, chainName, t.chains.get(chainName).base, null));
    }
    for (String setName : setNames) {
      t.sets.get(setName).elements.values().stream()
          .sorted(Comparator.comparing(e -> e.keyText() + " : " + e.valueText()))
          .forEach(element -> ops.add(new AddElement(name, setName, element)));
    }
    for (String chainName : chainNames) {
      for (NftRule rule : t.chains.get(chainName).rules) {
        ops.add(new AddRule(name, chainName, rule));
      }
    }
    return NftTransaction.of(ops);
  }

  private void applyOne(NftOp op, Map<NftTable, Table> working, Set<Object> copied)
      throws NftException {
    if (op instanceof AddTable a) {
      Table existing = working.get(a.table());
      if (existing == null) {
        Table created = new Table(a.comment());
        working.put(a.table(), created);
        copied.add(created);
      }
      return;
    }
    if (op instanceof DeleteTable) {
      if (working.remove(op.table()) == null) {
        throw new NftException("No such file or directory: table " + op.table());
      }
      return;
    }
    Table table = working.get(op.table());
    if (table == null) {
      throw new NftException("No such file or directory: table " + op.table());
    }
    table = copyOnWrite(working, op.table(), table, Table::shallowCopy, copied);
    if (op instanceof AddChain c) {
      Chain existing = table.chains.get(c.name());
      if (existing == null) {
        table.chains.put(c.name(), new Chain(c.base()));
      } else if (!java.util.Objects.equals(existing.base, c.base())) {
        throw new NftException("Operation not supported: chain " + c.name() + " redefined");
      }
    } else if (op instanceof FlushChain f) {
      chainForWrite(table, f.name(), copied).rules.clear();
    } else if (op instanceof DeleteChain d) {
      Chain chain = chain(table, d.name());
      if (!chain.rules.isEmpty() || referencedChains(table).contains(d.name())) {
        throw new NftException("Device or resource busy: chain " + d.name() + " is in use");
      }
      table.chains.remove(d.name());
    } else if (op instanceof AddRule r) {
      Chain chain = chainForWrite(table, r.chain(), copied);
      checkReferences(table, r.rule().text());
      chain.rules.add(r.rule());
    } else if (op instanceof AddSet s) {
      addSet(table, s.name(), s);
    } else if (op instanceof AddMap m) {
      addSet(table, m.name(), m);
    } else if (op instanceof DeleteSet d) {
      set(table, d.name());
      if (referencedSets(table).contains(d.name())) {
        throw new NftException("Device or resource busy: set " + d.name() + " is in use");
      }
      table.sets.remove(d.name());
    } else if (op instanceof FlushSet f) {
      setForWrite(table, f.name(), copied).elements.clear();
    } else if (op instanceof AddElement a) {
      addElement(table, a, copied);
    } else if (op instanceof DeleteElement d) {
      Sett set = setForWrite(table, d.set(), copied);
      if (set.elements.remove(d.key()) == null) {
        throw new NftException("No such file or directory: element "
            + String.join(" . ", d.key()) + " in " + d.set());
      }
    } else {
      throw new NftException("unknown operation " + op);
    }
  }

  private void addSet(Table table, String name, NftOp declaration) throws NftException {
    Sett existing = table.sets.get(name);
    if (existing == null) {
      table.sets.put(name, new Sett(declaration));
    } else if (!existing.sameDeclaration(declaration)) {
      throw new NftException("File exists: set " + name + " has a different definition");
    }
  }

  private void addElement(Table table, AddElement a, Set<Object> copied) throws NftException {
    Sett set = setForWrite(table, a.set(), copied);
    NftElement element = a.element();
    if (set.isMap() == element.value().isEmpty()) {
      throw new NftException("Invalid argument: element of " + a.set()
          + (set.isMap() ? " needs a value" : " must not have a value"));
    }
    if (set.isVerdictMap()) {
      Matcher m = CHAIN_REF.matcher(element.valueText());
      if (m.find()) {
        chain(table, m.group(1));
      }
    }
    NftElement existing = set.elements.get(element.key());
    if (existing != null && !existing.value().equals(element.value())) {
      throw new NftException("File exists: element " + element.keyText() + " in " + a.set());
    }
    if (existing == null) {
      set.elements.put(element.key(), element);
    }
  }

  private void checkReferences(Table table, String ruleText) throws NftException {
    Matcher sets = SET_REF.matcher(ruleText);
    while (sets.find()) {
      set(table, sets.group(1));
    }
    Matcher chains = CHAIN_REF.matcher(ruleText);
    while (chains.find()) {
      chain(table, chains.group(1));
    }
  }

  private static Set<String> referencedChains(Table table) {
    Set<String> out = new HashSet<>();
    for (Chain c : table.chains.values()) {
      for (NftRule r : c.rules) {
        Matcher m = CHAIN_REF.matcher(r.text());
        while (m.find()) {
          out.add(m.group(1));
        }
      }
    }
    for (Sett s : table.sets.values()) {
      if (s.isVerdictMap()) {
        for (NftElement e : s.elements.values()) {
          Matcher m = CHAIN_REF.matcher(e.valueText());
          if (m.find()) {
            out.add(m.group(1));
          }
        }
      }
    }
    return out;
  }

  private static Set<String> referencedSets(Table table) {
    Set<String> out = new HashSet<>();
    for (Chain c : table.chains.values()) {
      for (NftRule r : c.rules) {
        Matcher m = SET_REF.matcher(r.text());
        while (m.find()) {
          out.add(m.group(1));
        }
      }
    }
    return out;
  }

  private static Chain chain(Table table, String name) throws NftException {
    Chain chain = table.chains.get(name);
    if (chain == null) {
      throw new NftException("No such file or directory: chain " + name);
    }
    return chain;
  }

  private static Chain chainForWrite(Table table, String name, Set<Object> copied)
      throws NftException {
    return copyOnWrite(table.chains, name, chain(table, name), Chain::copy, copied);
  }

  private static Sett set(Table table, String name) throws NftException {
    Sett set = table.sets.get(name);
    if (set == null) {
      throw new NftException("No such file or directory: set " + name);
    }
    return set;
  }

  private static Sett setForWrite(Table table, String name, Set<Object> copied)
      throws NftException {
    return copyOnWrite(table.sets, name, set(table, name), Sett::copy, copied);
  }

  /**
   * {@code member} if this transaction already copied it ({@code copied}), else a copy that
   * replaces it in {@code members}, so committed state stays untouched until the commit.
   */
  private static <K, T> T copyOnWrite(
      Map<K, T> members, K key, T member, UnaryOperator<T> copy, Set<Object> copied) {
    if (copied.contains(member)) {
      return member;
    }
    T mine = copy.apply(member);
    members.put(key, mine);
    copied.add(mine);
    return mine;
  }

  /** A table's chains and sets; copied shallowly per transaction, members copied on write. */
  private static final class Table {
    final String comment;
    final Map<String, Chain> chains;
    final Map<String, Sett> sets;

    Table(String comment) {
      this(comment, new LinkedHashMap<>(), new HashMap<>());
    }

    private Table(String comment, Map<String, Chain> chains, Map<String, Sett> sets) {
      this.comment = comment;
      this.chains = chains;
      this.sets = sets;
    }

    Table shallowCopy() {
      return new Table(comment, new LinkedHashMap<>(chains), new HashMap<>(sets));
    }
  }

  private static final class Chain {
    final BaseChain base;
    final List<NftRule> rules;

    Chain(BaseChain base) {
      this(base, new ArrayList<>());
    }

    private Chain(BaseChain base, List<NftRule> rules) {
      this.base = base;
      this.rules = rules;
    }

    Chain copy() {
      return new Chain(base, new ArrayList<>(rules));
    }
  }

  /** A set or map (named Sett to keep clear of java.util.Set). */
  private static final class Sett {
    final NftOp declaration;
    final Map<ImmutableList<String>, NftElement> elements;

    Sett(NftOp declaration) {
      this(declaration, new HashMap<>());
    }

    private Sett(NftOp declaration, Map<ImmutableList<String>, NftElement> elements) {
      this.declaration = declaration;
      this.elements = elements;
    }

    Sett copy() {
      return new Sett(declaration, new HashMap<>(elements));
    }

    boolean isMap() {
      return declaration instanceof AddMap;
    }

    boolean isVerdictMap() {
      return declaration instanceof AddMap m && m.verdictMap();
    }

    /** Same type, flags and timeout as {@code other} (comments may differ, as in nft). */
    boolean sameDeclaration(NftOp other) {
      if (declaration instanceof AddSet a && other instanceof AddSet b) {
        return a.keyType().equals(b.keyType()) && a.flags().equals(b.flags())
            && a.timeoutSeconds() == b.timeoutSeconds();
      }
      if (declaration instanceof AddMap a && other instanceof AddMap b) {
        return a.keyType().equals(b.keyType()) && a.valueType().equals(b.valueType())
            && a.flags().equals(b.flags());
      }
      return false;
    }
  }
}
