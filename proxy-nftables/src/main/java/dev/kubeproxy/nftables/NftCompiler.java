package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.BackendCompiler;
import dev.kubeproxy.api.backend.kit.BackendCompiler.Compiled;
import dev.kubeproxy.api.backend.kit.SharedObjects;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Compiles a table change into an nftables transaction (DESIGN §6, compile). Pure: the result
 * depends only on the arguments.
 *
 * <p>A full compile replaces the whole table's contents in one transaction (flush or delete what
 * the kernel holds, then add everything), so the kernel switches from whatever it had to the
 * new rules with no moment without rules, keeping the clients remembered in affinity sets. A partial compile looks only at the changed keys and the
 * committed {@link NftState}, and emits just the elements, group maps and affinity chains that
 * differ; chains that fall out of use are flushed now and deleted by a later sync at least
 * {@link #STALE_CHAIN_DELAY_NANOS} later, as upstream does for older kernels.
 */
public final class NftCompiler
    implements BackendCompiler<NftState, NftTransaction, ExistingObjects> {
  /** How long a flushed chain waits before it is deleted. */
  public static final long STALE_CHAIN_DELAY_NANOS = 1_000_000_000L;
  /** From this many entries on, a full compile compiles them on the common fork-join pool. */
  static final int PARALLEL_COMPILE_ENTRIES = 2048;

  /**
   * Whether compiling {@code change} is a full compile: {@code full} is set, nothing was
   * committed yet, or the table-wide facts changed. Only then does the kernel need listing.
   */
  @Override
  public boolean compilesFully(TableChange change, boolean full, NftState committed) {
    return full || committed == null || !committed.facts().sameFacts(change.next());
  }

  /**
   * Compiles {@code change} as {@link #compile(TableChange, boolean, NftState,
   * ExistingObjects, long)} does for a kernel without the table.
   */
  public Compiled<NftState, NftTransaction> compile(
      TableChange change, boolean full, NftState committed, long nowNanos) {
    return compile(change, full, committed, ExistingObjects.ABSENT, nowNanos);
  }

  /**
   * Compiles {@code change}, fully when {@link #compilesFully}; a full compile replaces {@code
   * existing}, what the kernel's table holds now.
   */
  @Override
  public Compiled<NftState, NftTransaction> compile(TableChange change, boolean full,
      NftState committed, ExistingObjects existing, long nowNanos) {
    if (compilesFully(change, full, committed)) {
      return full(change.next(), existing, committed);
    }
    return new Partial(change, committed, nowNanos).compile();
  }

  @Override
  public ExistingObjects nothingInstalled(IpFamily family) {
    return ExistingObjects.ABSENT;
  }

  /** The {@code nft -f} text of every family's transaction, as one transaction. */
  @Override
  public String render(Map<IpFamily, NftTransaction> transactions) {
    return new NftRenderer().render(NftTransaction.merged(transactions.values()));
  }

  /** Everything in {@code next}, for a kernel without the table. */
  public Compiled<NftState, NftTransaction> full(ForwardingTable next) {
    return full(next, ExistingObjects.ABSENT);
  }

  /**
   * Everything in {@code next}, replacing {@code existing} (what the kernel's table holds) in
   * one transaction: every existing chain is flushed; every set and map is deleted, except
   * dynamic sets (ClientIP affinity) the new state defines exactly as before, which keep what
   * the packet path stored; base chains and chains the new state lacks are deleted; then
   * everything is added, affinity endpoints in the slots {@code existing}'s group maps give
   * them. A table holding objects of kinds this backend never creates is deleted and re-created
   * instead.
   */
  public Compiled<NftState, NftTransaction> full(ForwardingTable next, ExistingObjects existing) {
    return full(next, existing, null);
  }

  /**
   * As {@link #full(ForwardingTable, ExistingObjects)}, keeping the ClientIP affinity slots of
   * {@code committed}, or when null those the kernel's group maps hold ({@code existing}), so
   * that remembered clients keep their endpoints.
   */
  private Compiled<NftState, NftTransaction> full(ForwardingTable next, ExistingObjects existing,
      NftState committed) {
    NftTable table = NftTable.kubeProxy(next.family());
    NftSkeleton skeleton = new NftSkeleton(table, next);
    EntryCompiler compiler = new EntryCompiler();
    Map<ServicePortKey, EntryObjects> entries = new HashMap<>();
    SharedObjects.Edit<ServicePortKey, SetElement.Id, NftElement> claims =
        SharedObjects.<ServicePortKey, SetElement.Id, NftElement>empty().edit();
    List<ServiceEntry> sorted = next.sortedEntries();
    // Entries compile independently (a large table's on every core); claims go in key order.
    Stream<ServiceEntry> stream = sorted.size() >= PARALLEL_COMPILE_ENTRIES
        ? sorted.parallelStream() : sorted.stream();
    List<EntryObjects> compiled = stream
        .map(entry -> compiler.compile(entry, committed == null
            // Nothing committed (a restart, a failed sync): the slots the kernel holds.
            ? DispatchObjects.kernelSlots(entry, existing.slots())
            : committed.entries().getOrDefault(entry.key(), EntryObjects.EMPTY)))
        .toList();
    for (int i = 0; i < sorted.size(); i++) {
      ServicePortKey key = sorted.get(i).key();
      entries.put(key, compiled.get(i));
      claims.replace(key, Map.of(), compiled.get(i).claims());
    }
    SharedObjects.Result<ServicePortKey, SetElement.Id, NftElement> claimed = claims.finish();
    // Entries came in key order, so each element's first claimant is its winner.
    Map<String, List<NftElement>> elementsBySet = new LinkedHashMap<>();
    for (SharedObjects.Change<SetElement.Id, NftElement> change : claimed.changes()) {
      elementsBySet.computeIfAbsent(change.id().set(), set -> new ArrayList<>()).add(change.after());
    }
    TreeMap<String, Integer> groupCounts = new TreeMap<>();
    for (Map.Entry<String, List<NftElement>> e : elementsBySet.entrySet()) {
      if (Group.parse(e.getKey()) != null) {
        groupCounts.put(e.getKey(), e.getValue().size());
      }
    }

    List<NftOp> ops = new ArrayList<>();
    ops.addAll(skeleton.sets());
    for (String map : groupCounts.keySet()) {
      ops.add(skeleton.groupMap(Group.parse(map)));
    }
    for (EntryObjects objects : compiled) {
      ops.addAll(objects.sets().values());
    }
    ops.addAll(skeleton.chains());
    for (String map : groupCounts.keySet()) {
      for (String chain : skeleton.groupChains(Group.parse(map))) {
        ops.add(new AddChain(table, chain, null, null));
      }
    }
    for (EntryObjects objects : compiled) {
      for (String chain : objects.chains().keySet()) {
        ops.add(new AddChain(table, chain, null, null));
      }
    }
    for (NftElement element : skeleton.nodePortElements()) {
      ops.add(new AddElement(table, NftSkeleton.NODEPORT_IPS, element));
    }
    for (Map.Entry<String, List<NftElement>> e : elementsBySet.entrySet()) {
      for (NftElement element : e.getValue()) {
        ops.add(new AddElement(table, e.getKey(), element));
      }
    }
    ops.addAll(skeleton.rules());
    for (String map : groupCounts.keySet()) {
      ops.addAll(skeleton.groupRules(Group.parse(map)));
    }
    for (DispatchSpace space : DispatchSpace.values()) {
      ops.add(skeleton.spaceRule(space));
    }
    for (EntryObjects objects : compiled) {
      addChainRules(table, objects.chains(), objects.chains().keySet(), ops);
    }
    List<NftOp> replace = new ArrayList<>();
    replace.add(new AddTable(table, NftSkeleton.TABLE_COMMENT));
    if (existing.foreign()) {
      replace.add(new DeleteTable(table));
      replace.add(new AddTable(table, NftSkeleton.TABLE_COMMENT));
    } else if (existing.present()) {
      replace.addAll(clearing(table, existing, ops));
    }
    replace.addAll(ops);
    NftState state = new NftState(
        next,
        PersistentMap.copyOf(entries),
        claimed.objects(),
        ImmutableSortedMap.copyOf(groupCounts),
        ImmutableSortedMap.of());
    return new Compiled<>(NftTransaction.of(replace), state);
  }

  /**
   * The operations that empty {@code existing} before {@code additions} (the new state's
   * objects, elements and rules) are applied, leaving exactly the new state behind.
   */
  private static List<NftOp> clearing(NftTable table, ExistingObjects existing,
      List<NftOp> additions) {
    Map<String, ExistingObjects.Definition> sets = new HashMap<>();
    Map<String, Boolean> chains = new HashMap<>();
    for (NftOp op : additions) {
      if (op instanceof AddSet s) {
        sets.put(s.name(), ExistingObjects.Definition.of(s));
      } else if (op instanceof AddMap m) {
        sets.put(m.name(), ExistingObjects.Definition.of(m));
      } else if (op instanceof AddChain c) {
        chains.put(c.name(), c.base() != null);
      }
    }
    List<NftOp> out = new ArrayList<>();
    for (String chain : existing.chains().keySet()) {
      out.add(new FlushChain(table, chain));
    }
    for (Map.Entry<String, ExistingObjects.Definition> e : existing.sets().entrySet()) {
      ExistingObjects.Definition was = e.getValue();
      // Only a dynamic set defined as before is kept; every other set and map is re-created,
      // since add set cannot redefine one and nft 1.0.6 refuses a group map's DNAT rule in a
      // later transaction than the map ("conflicting protocols specified").
      if (!was.flags().contains("dynamic") || !was.equals(sets.get(e.getKey()))) {
        out.add(new DeleteSet(table, e.getKey(), was.map()));
      }
    }
    for (Map.Entry<String, Boolean> e : existing.chains().entrySet()) {
      Boolean base = chains.get(e.getKey());
      // Base chains are re-created rather than compared hook by hook; nothing jumps to them.
      if (base == null || base || e.getValue()) {
        out.add(new DeleteChain(table, e.getKey()));
      }
    }
    return out;
  }

  /** One partial compile: the delta of the changed keys against the committed state. */
  private static final class Partial {
    private final TableChange change;
    private final NftState committed;
    private final long now;
    private final NftTable table;
    private final EntryCompiler compiler;
    private final NftSkeleton skeleton;

    private final Map<ServicePortKey, EntryObjects> entryUpdates = new HashMap<>();
    private final SharedObjects.Edit<ServicePortKey, SetElement.Id, NftElement> claims;
    private final TreeMap<String, Long> stale;

    private final List<NftOp> addChains = new ArrayList<>();
    private final List<NftOp> flushes = new ArrayList<>();
    private final List<NftOp> deleteSets = new ArrayList<>();
    private final List<NftOp> addSets = new ArrayList<>();
    private final List<NftOp> chainRules = new ArrayList<>();

    Partial(TableChange change, NftState committed, long now) {
      this.change = change;
      this.committed = committed;
      this.now = now;
      this.table = NftTable.kubeProxy(change.family());
      this.compiler = new EntryCompiler();
      this.skeleton = new NftSkeleton(table, change.next());
      this.stale = new TreeMap<>(committed.staleChains());
      this.claims = committed.claims().edit();
    }

    Compiled<NftState, NftTransaction> compile() {
      for (ServicePortKey key : new TreeSet<>(change.changedKeys())) {
        EntryObjects before = committed.entries().getOrDefault(key, EntryObjects.EMPTY);
        ServiceEntry entry = change.next().entry(key);
        EntryObjects after = entry == null ? EntryObjects.EMPTY : compiler.compile(entry, before);
        if (!before.equals(after)) {
          entryUpdates.put(key, entry == null ? null : after);
          claims.replace(key, before.claims(), after.claims());
          diffSetsAndChains(before, after);
        }
      }

      List<NftOp> deleteElements = new ArrayList<>();
      List<NftOp> addElements = new ArrayList<>();
      TreeMap<String, Integer> groupCounts = new TreeMap<>(committed.groupCounts());
      SharedObjects.Result<ServicePortKey, SetElement.Id, NftElement> claimed = claims.finish();
      List<SetElement.Id> deleted = new ArrayList<>();
      for (SharedObjects.Change<SetElement.Id, NftElement> change : claimed.changes()) {
        SetElement.Id id = change.id();
        if (change.removesOrReplaces()) {
          deleted.add(id);
        }
        if (change.adds()) {
          addElements.add(new AddElement(table, id.set(), change.after()));
        }
        if (Group.parse(id.set()) != null && (change.before() == null) != (change.after() == null)) {
          groupCounts.merge(id.set(), change.after() == null ? -1 : 1, Integer::sum);
        }
      }
      groupCounts.values().removeIf(count -> count == 0);

      // A group is a map plus a chain of the same name holding its DNAT rule. A new group's
      // rule goes in with its map; a dead group's chain is flushed and deleted later. The
      // dispatch elements pointing at a group change with its members, so no space chain is
      // ever rewritten.
      List<NftOp> addMaps = new ArrayList<>();
      List<NftOp> groupRules = new ArrayList<>();
      List<NftOp> deleteMaps = new ArrayList<>();
      for (String map : groupCounts.keySet()) {
        if (!committed.groupCounts().containsKey(map)) {
          Group group = Group.parse(map);
          addMaps.add(skeleton.groupMap(group));
          for (String chain : skeleton.groupChains(group)) {
            addChains.add(new AddChain(table, chain, null, null));
            stale.remove(chain);
          }
          groupRules.addAll(skeleton.groupRules(group));
        }
      }
      for (String map : committed.groupCounts().keySet()) {
        if (!groupCounts.containsKey(map)) {
          deleteMaps.add(new DeleteSet(table, map, true));
          for (String chain : skeleton.groupChains(Group.parse(map))) {
            flushes.add(new FlushChain(table, chain));
            stale.put(chain, now);
          }
        }
      }
      for (SetElement.Id id : deleted) {
        // A map deleted in this transaction takes its elements with it.
        if (!deleteMaps.contains(new DeleteSet(table, id.set(), true))) {
          deleteElements.add(new DeleteElement(table, id.set(), id.key()));
        }
      }

      List<NftOp> deleteChains = new ArrayList<>();
      for (Map.Entry<String, Long> e : new ArrayList<>(stale.entrySet())) {
        if (now - e.getValue() >= STALE_CHAIN_DELAY_NANOS) {
          deleteChains.add(new DeleteChain(table, e.getKey()));
          stale.remove(e.getKey());
        }
      }

      List<NftOp> ops = new ArrayList<>();
      ops.addAll(addMaps);
      ops.addAll(addChains);
      ops.addAll(flushes);
      ops.addAll(deleteElements);
      ops.addAll(deleteSets);
      ops.addAll(deleteMaps);
      ops.addAll(addSets);
      ops.addAll(addElements);
      ops.addAll(chainRules);
      ops.addAll(groupRules);
      ops.addAll(deleteChains);
      NftState state = new NftState(
          change.next(),
          committed.entries().with(entryUpdates),
          claimed.objects(),
          ImmutableSortedMap.copyOf(groupCounts),
          ImmutableSortedMap.copyOf(stale));
      return new Compiled<>(NftTransaction.of(ops), state);
    }

    private void diffSetsAndChains(EntryObjects before, EntryObjects after) {
      boolean setsChanged = !before.sets().equals(after.sets());
      for (Map.Entry<String, AddSet> e : before.sets().entrySet()) {
        if (!e.getValue().equals(after.sets().get(e.getKey()))) {
          deleteSets.add(new DeleteSet(table, e.getKey(), false));
        }
      }
      for (Map.Entry<String, AddSet> e : after.sets().entrySet()) {
        if (!e.getValue().equals(before.sets().get(e.getKey()))) {
          addSets.add(e.getValue());
        }
      }
      List<String> refill = new ArrayList<>();
      for (Map.Entry<String, ImmutableList<NftRule>> e : after.chains().entrySet()) {
        String chain = e.getKey();
        if (!before.chains().containsKey(chain)) {
          // A chain still waiting for deletion is empty already; adding it again is a no-op.
          stale.remove(chain);
          addChains.add(new AddChain(table, chain, null, null));
          refill.add(chain);
        } else if (setsChanged || !e.getValue().equals(before.chains().get(chain))) {
          flushes.add(new FlushChain(table, chain));
          refill.add(chain);
        }
      }
      addChainRules(table, after.chains(), refill, chainRules);
      for (String chain : before.chains().keySet()) {
        if (!after.chains().containsKey(chain)) {
          flushes.add(new FlushChain(table, chain));
          stale.put(chain, now);
        }
      }
    }
  }

  private static void addChainRules(NftTable table, Map<String, ImmutableList<NftRule>> chains,
      Iterable<String> names, List<NftOp> out) {
    for (String chain : names) {
      for (NftRule rule : chains.get(chain)) {
        out.add(new AddRule(table, chain, rule));
      }
    }
  }
}
