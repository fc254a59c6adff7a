package dev.kubeproxy.iptables;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.BackendCompiler;
import dev.kubeproxy.api.backend.kit.BackendCompiler.Compiled;
import dev.kubeproxy.api.backend.kit.SharedObjects;
import dev.kubeproxy.iptables.EntryRules.Placed;
import dev.kubeproxy.iptables.IptOp.AppendRule;
import dev.kubeproxy.iptables.IptOp.DeclareChain;
import dev.kubeproxy.iptables.IptOp.DeleteChain;
import dev.kubeproxy.iptables.IptOp.DeleteRule;
import dev.kubeproxy.iptables.IptOp.InsertRule;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Compiles one family's table change into an iptables transaction (DESIGN §6, compile). Pure.
 *
 * <p>A full compile writes what upstream writes on a full sync: the {@code KUBE-PROXY-CANARY}
 * chain in mangle, nat and filter, every top-level chain declared
 * (so flushed) and refilled, every service chain declared and filled, stale service chains the
 * kernel holds flushed and deleted, and the jumps from the built-in chains inserted where the
 * kernel lacks them. A partial compile touches only the changed keys: their rules in the shared
 * dispatch chains are deleted ({@code -D}) and inserted ({@code -I CHAIN 1}) one by one by rule
 * spec, and only their own chains are rewritten or deleted, so the restore input does not grow
 * with the number of services (upstream rewrites the dispatch chains whole on every sync).
 */
public final class IptCompiler
    implements BackendCompiler<IptState, IptTransaction, IptExisting> {
  private final boolean localhostNodePorts;

  /** A compiler with upstream's default: NodePorts also on 127.0.0.1 (IPv4). */
  public IptCompiler() {
    this(true);
  }

  /**
   * A compiler; {@code localhostNodePorts} is upstream's {@code iptables.localhostNodePorts}:
   * IPv4 NodePorts also answer on 127.0.0.1 (nat accepts loopback destinations, and filter
   * {@code KUBE-FIREWALL} gets the martian guard). The host must set route_localnet=1.
   */
  public IptCompiler(boolean localhostNodePorts) {
    this.localhostNodePorts = localhostNodePorts;
  }

  /** Whether {@code table}'s NodePorts answer on 127.0.0.1 with this compiler. */
  public boolean localhostNodePorts(ForwardingTable table) {
    return IptSkeleton.localhostNodePorts(table, localhostNodePorts);
  }
  /**
   * Whether compiling {@code change} must be full: asked for, nothing committed, table-wide
   * facts changed, or the change crosses the large-cluster threshold (comments change
   * everywhere). Costs the changed keys only. Only a full compile needs the kernel read.
   */
  @Override
  public boolean compilesFully(TableChange change, boolean full, IptState committed) {
    if (full || committed == null || !committed.facts().sameFacts(change.next())) {
      return true;
    }
    return large(endpointChainsAfter(change, committed)) != committed.largeCluster();
  }

  /** Compiles {@code change} for a kernel without our chains when it must be full. */
  public Compiled<IptState, IptTransaction> compile(TableChange change, boolean full, IptState committed) {
    return compile(change, full, committed, IptExisting.ABSENT);
  }

  /** Compiles {@code change}; a full compile replaces what {@code existing} says the kernel holds. */
  public Compiled<IptState, IptTransaction> compile(TableChange change, boolean full, IptState committed, IptExisting existing) {
    return compile(change, full, committed, existing, 0);
  }

  @Override
  public Compiled<IptState, IptTransaction> compile(TableChange change, boolean full, IptState committed,
      IptExisting existing, long nowNanos) {
    if (compilesFully(change, full, committed)) {
      return full(change.next(), existing);
    }
    return partial(change, committed);
  }

  @Override
  public IptExisting nothingInstalled(IpFamily family) {
    return IptExisting.ABSENT;
  }

  /**
   * The {@code iptables-restore} input of each family, under a comment line naming the tool it
   * goes to ({@code ip6tables-restore} for IPv6): restore reads {@code #} lines as comments.
   */
  @Override
  public String render(Map<IpFamily, IptTransaction> transactions) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<IpFamily, IptTransaction> e : transactions.entrySet()) {
      out.append(e.getKey() == IpFamily.V4 ? "# iptables-restore --noflush\n"
          : "# ip6tables-restore --noflush\n");
      out.append(new IptRenderer().render(e.getValue()));
    }
    return out.toString();
  }

  /** Everything of {@code next}, for a kernel without our chains. */
  public Compiled<IptState, IptTransaction> full(ForwardingTable next) {
    return full(next, IptExisting.ABSENT);
  }

  /** Everything of {@code next}, replacing {@code existing}. */
  public Compiled<IptState, IptTransaction> full(ForwardingTable next, IptExisting existing) {
    int endpointChains = 0;
    for (ServiceEntry e : next.entries().values()) {
      endpointChains += EntryCompiler.endpointChains(e);
    }
    boolean largeCluster = large(endpointChains);
    EntryCompiler entries = new EntryCompiler(next, largeCluster);
    Map<ServicePortKey, EntryRules> compiled = new HashMap<>();
    List<ServiceEntry> sorted = next.sortedEntries();
    for (ServiceEntry e : sorted) {
      compiled.put(e.key(), entries.compile(e));
    }

    IptTransaction.Builder tx = IptTransaction.builder();
    Map<IptTable, List<IptOp>> rules = new EnumMap<>(IptTable.class);
    for (IptTable t : IptExisting.ownTables()) {
      rules.put(t, new ArrayList<>());
    }
    // Chains first: top-level, then every service chain, then stale ones (flushed here).
    for (IptTable t : IptTable.values()) {
      tx.add(t, new DeclareChain(IptNames.CANARY));
    }
    for (String c : IptSkeleton.FILTER_CHAINS) {
      tx.add(IptTable.FILTER, new DeclareChain(c));
    }
    for (String c : IptSkeleton.NAT_CHAINS) {
      tx.add(IptTable.NAT, new DeclareChain(c));
    }
    boolean localhost = localhostNodePorts(next);
    if (localhost) {
      tx.add(IptTable.FILTER, new DeclareChain(IptNames.KUBELET_FIREWALL));
    }
    Set<String> serviceChains = new LinkedHashSet<>();
    for (ServiceEntry e : sorted) {
      serviceChains.addAll(compiled.get(e.key()).chains().keySet());
    }
    for (String c : serviceChains) {
      tx.add(IptTable.NAT, new DeclareChain(c));
    }
    List<String> stale = new ArrayList<>();
    for (String c : existing.table(IptTable.NAT).chains()) {
      if (IptNames.isServiceChain(c) && !serviceChains.contains(c)) {
        stale.add(c);
        tx.add(IptTable.NAT, new DeclareChain(c));
      }
    }
    // Jumps from the built-in chains, where the kernel lacks them.
    List<IptSkeleton.Jump> jumps = new ArrayList<>(IptSkeleton.JUMPS);
    if (localhost) {
      jumps.addAll(IptSkeleton.KUBELET_JUMPS);
    }
    for (IptSkeleton.Jump jump : jumps) {
      if (!existing.table(jump.table()).hasJump(jump.builtin(), jump.comment(), jump.target())) {
        tx.add(jump.table(), new InsertRule(jump.rule(), 1));
      }
    }
    for (IptRule r : IptSkeleton.filterRules(next)) {
      tx.add(IptTable.FILTER, new AppendRule(r));
    }
    if (localhost) {
      tx.add(IptTable.FILTER, new AppendRule(IptSkeleton.MARTIAN_GUARD));
    }
    for (IptRule r : IptSkeleton.natRules(next)) {
      tx.add(IptTable.NAT, new AppendRule(r));
    }
    // Per service port, in key order: its dispatch rules, then its own chains.
    for (ServiceEntry e : sorted) {
      EntryRules er = compiled.get(e.key());
      for (Placed p : er.dispatch()) {
        tx.add(p.table(), new AppendRule(p.rule()));
      }
      for (List<IptRule> chainRules : er.chains().values()) {
        for (IptRule r : chainRules) {
          tx.add(IptTable.NAT, new AppendRule(r));
        }
      }
    }
    for (IptRule r : IptSkeleton.nodePortJumps(next, localhost)) {
      tx.add(IptTable.NAT, new AppendRule(r));
    }
    SharedObjects.Edit<ServicePortKey, IpAddress, IptRule> claims =
        SharedObjects.<ServicePortKey, IpAddress, IptRule>empty().edit();
    for (ServiceEntry e : sorted) {
      claims.replace(e.key(), Map.of(), clusterIpReject(e));
    }
    SharedObjects.Result<ServicePortKey, IpAddress, IptRule> rejects = claims.finish();
    tx.add(IptTable.FILTER, new AppendRule(IptSkeleton.CLUSTER_IPS_JUMP));
    for (SharedObjects.Change<IpAddress, IptRule> c : rejects.changes()) {
      tx.add(IptTable.FILTER, new AppendRule(c.after()));
    }
    for (String c : stale) {
      tx.add(IptTable.NAT, new DeleteChain(c));
    }
    IptState state = new IptState(
        next, PersistentMap.copyOf(compiled), rejects.objects(), endpointChains, largeCluster);
    return new Compiled<>(tx.build(), state);
  }

  private Compiled<IptState, IptTransaction> partial(TableChange change, IptState committed) {
    ForwardingTable next = change.next();
    EntryCompiler entries = new EntryCompiler(next, committed.largeCluster());
    Map<IptTable, List<IptOp>> declares = new EnumMap<>(IptTable.class);
    Map<IptTable, List<IptOp>> deletes = new EnumMap<>(IptTable.class);
    Map<IptTable, List<IptOp>> inserts = new EnumMap<>(IptTable.class);
    List<IptOp> appends = new ArrayList<>();
    List<IptOp> chainDeletes = new ArrayList<>();
    Map<ServicePortKey, EntryRules> updates = new HashMap<>();
    int endpointChains = committed.endpointChains();
    SharedObjects.Edit<ServicePortKey, IpAddress, IptRule> claims =
        committed.clusterIpRejects().edit();
    List<ServicePortKey> keys = new ArrayList<>(change.changedKeys());
    keys.sort(null);
    for (ServicePortKey key : keys) {
      EntryRules before = committed.entries().get(key);
      ServiceEntry entry = next.entry(key);
      EntryRules after = entry == null ? null : entries.compile(entry);
      ServiceEntry previous = change.previous().entry(key);
      claims.replace(key, previous == null ? Map.of() : clusterIpReject(previous),
          entry == null ? Map.of() : clusterIpReject(entry));
      if (Objects.equals(before, after)) {
        continue;
      }
      updates.put(key, after);
      endpointChains += (after == null ? 0 : after.endpointChains())
          - (before == null ? 0 : before.endpointChains());
      List<Placed> oldDispatch = before == null ? List.of() : before.dispatch();
      List<Placed> newDispatch = after == null ? List.of() : after.dispatch();
      for (Placed p : oldDispatch) {
        if (!newDispatch.contains(p)) {
          deletes.computeIfAbsent(p.table(), t -> new ArrayList<>()).add(new DeleteRule(p.rule()));
        }
      }
      // Inserted at the top: the NodePort catch-all stays the last rule of nat KUBE-SERVICES.
      for (int i = newDispatch.size() - 1; i >= 0; i--) {
        Placed p = newDispatch.get(i);
        if (!oldDispatch.contains(p)) {
          inserts.computeIfAbsent(p.table(), t -> new ArrayList<>()).add(new InsertRule(p.rule(), 1));
        }
      }
      Map<String, ? extends List<IptRule>> oldChains =
          before == null ? Map.of() : before.chains();
      Map<String, ? extends List<IptRule>> newChains = after == null ? Map.of() : after.chains();
      for (Map.Entry<String, ? extends List<IptRule>> c : newChains.entrySet()) {
        if (!c.getValue().equals(oldChains.get(c.getKey()))) {
          declares.computeIfAbsent(IptTable.NAT, t -> new ArrayList<>())
              .add(new DeclareChain(c.getKey()));
          for (IptRule r : c.getValue()) {
            appends.add(new AppendRule(r));
          }
        }
      }
      for (String c : oldChains.keySet()) {
        if (!newChains.containsKey(c)) {
          declares.computeIfAbsent(IptTable.NAT, t -> new ArrayList<>()).add(new DeclareChain(c));
          chainDeletes.add(new DeleteChain(c));
        }
      }
    }
    SharedObjects.Result<ServicePortKey, IpAddress, IptRule> rejects = claims.finish();
    for (SharedObjects.Change<IpAddress, IptRule> c : rejects.changes()) {
      if (c.removesOrReplaces()) {
        deletes.computeIfAbsent(IptTable.FILTER, t -> new ArrayList<>())
            .add(new DeleteRule(c.before()));
      }
      if (c.adds()) {
        // Order inside KUBE-CLUSTER-IPS does not matter: each rule is one address.
        inserts.computeIfAbsent(IptTable.FILTER, t -> new ArrayList<>())
            .add(new InsertRule(c.after(), 1));
      }
    }
    IptTransaction.Builder tx = IptTransaction.builder();
    for (IptTable t : IptExisting.ownTables()) {
      tx.addAll(t, declares.getOrDefault(t, List.of()));
      tx.addAll(t, deletes.getOrDefault(t, List.of()));
      tx.addAll(t, inserts.getOrDefault(t, List.of()));
    }
    tx.addAll(IptTable.NAT, appends);
    tx.addAll(IptTable.NAT, chainDeletes);
    IptState state = new IptState(next, committed.entries().with(updates), rejects.objects(),
        endpointChains, committed.largeCluster());
    return new Compiled<>(tx.build(), state);
  }

  /** The KUBE-CLUSTER-IPS rule {@code entry} needs: one for its ClusterIP, if it has one. */
  private static Map<IpAddress, IptRule> clusterIpReject(ServiceEntry entry) {
    IpAddress clusterIp = entry.clusterIp();
    return clusterIp == null
        ? Map.of() : Map.of(clusterIp, IptSkeleton.clusterIpReject(clusterIp));
  }

  private static int endpointChainsAfter(TableChange change, IptState committed) {
    int n = committed.endpointChains();
    for (ServicePortKey key : change.changedKeys()) {
      EntryRules before = committed.entries().get(key);
      ServiceEntry entry = change.next().entry(key);
      n += (entry == null ? 0 : EntryCompiler.endpointChains(entry))
          - (before == null ? 0 : before.endpointChains());
    }
    return n;
  }

  private static boolean large(int endpointChains) {
    return endpointChains > IptState.LARGE_CLUSTER_ENDPOINTS;
  }
}
