package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.BackendCompiler;
import dev.kubeproxy.nftables.NftOp;
import dev.kubeproxy.nftables.NftRenderer;
import dev.kubeproxy.nftables.NftTransaction;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The userspace backend's pure part: a table change becomes listener operations (open, retarget,
 * close, from the {@link ListenerPlan}) and, in node mode ({@code nodePorts} set), the nftables
 * changes of the redirect table, with each new node-mode listener given a free port of the
 * range. A full compile starts from the listeners the proxy has open, keeping their ports.
 */
public final class UserspaceCompiler
    implements BackendCompiler<UserspaceState, UserspaceTransaction, OpenListeners> {
  private final ListenerPlan plan;
  private final PortRange nodePorts;

  /** Embedded: listeners only, on the ports the plan names (0: ephemeral). */
  public static UserspaceCompiler embedded(ListenerPlan plan) {
    return new UserspaceCompiler(plan, null);
  }

  /** Node mode: {@link NodePlan} listeners on ports of {@code ports}, and redirect rules. */
  public static UserspaceCompiler node(PortRange ports) {
    return new UserspaceCompiler(NodePlan.INSTANCE, Objects.requireNonNull(ports, "ports"));
  }

  private UserspaceCompiler(ListenerPlan plan, PortRange nodePorts) {
    this.plan = Objects.requireNonNull(plan, "plan");
    this.nodePorts = nodePorts;
  }

  boolean nodeMode() {
    return nodePorts != null;
  }

  @Override
  public boolean compilesFully(TableChange change, boolean full, UserspaceState committed) {
    return full
        || committed == null
        || !Objects.equals(committed.redirectTarget(), redirectTarget(change.next()))
        || !committed.nodePortCidrs().equals(change.next().nodePortAddresses());
  }

  @Override
  public OpenListeners nothingInstalled(IpFamily family) {
    return OpenListeners.NONE;
  }

  @Override
  public Compiled<UserspaceState, UserspaceTransaction> compile(
      TableChange change, boolean full, UserspaceState committed, OpenListeners existing, long nowNanos) {
    boolean fully = compilesFully(change, full, committed);
    IpAddress target = redirectTarget(change.next());
    Map<ServicePortKey, UserspaceState.Programmed> before = fully ? fromOpen(existing) : committed.keys();
    Ports ports = new Ports(change.family(), before, existing.unavailablePorts());
    Set<ServicePortKey> keys =
        fully ? Sets.union(before.keySet(), change.next().entries().keySet()) : change.changedKeys();

    Map<ServicePortKey, UserspaceState.Programmed> after = new HashMap<>(before);
    List<ListenerOp> closes = new ArrayList<>();
    List<ListenerOp> opens = new ArrayList<>();
    List<NftOp> deletes = new ArrayList<>();
    List<NftOp> adds = new ArrayList<>();
    for (ServicePortKey key : ImmutableList.sortedCopyOf(keys)) {
      UserspaceState.Programmed had = before.get(key);
      ServiceEntry entry = change.next().entry(key);
      Map<ListenerSpec, ListenerOp> listeners = new LinkedHashMap<>();
      Map<Traffic, Integer> listenerPorts = new EnumMap<>(Traffic.class);
      Map<ListenerSpec, ListenerOp> hadListeners = had == null ? ImmutableMap.of() : had.listeners();
      for (ListenerSpec wanted : entry == null ? ImmutableSet.<ListenerSpec>of() : plan.listenersFor(entry)) {
        ListenerSpec spec = nodeMode() ? ports.assign(wanted, hadListeners.keySet()) : wanted;
        EndpointList endpoints = spec.traffic().endpointsOf(entry);
        ListenerOp previous = hadListeners.get(spec);
        ListenerOp op;
        if (previous == null) {
          op = new ListenerOp.Open(spec, endpoints, entry.affinity());
          opens.add(op);
        } else if (fully || !sameTarget(previous, endpoints, entry.affinity())) {
          op = new ListenerOp.Retarget(spec, endpoints, entry.affinity());
          opens.add(op);
        } else {
          op = previous;
        }
        listeners.put(spec, op);
        listenerPorts.put(spec.traffic(), spec.port());
      }
      for (ListenerSpec gone : hadListeners.keySet()) {
        if (!listeners.containsKey(gone)) {
          closes.add(new ListenerOp.Close(gone));
        }
      }
      ImmutableSet<RuleElement> redirects =
          nodeMode() && target != null && entry != null
              ? RedirectRules.of(entry, target, listenerPorts)
              : ImmutableSet.of();
      Set<RuleElement> hadRedirects = fully || had == null ? ImmutableSet.of() : had.redirects();
      for (RuleElement r : Sets.difference(hadRedirects, redirects)) {
        deletes.add(RedirectRules.delete(change.family(), r));
      }
      for (RuleElement r : Sets.difference(redirects, hadRedirects)) {
        adds.add(RedirectRules.add(change.family(), r));
      }
      if (listeners.isEmpty() && redirects.isEmpty()) {
        after.remove(key);
      } else {
        after.put(key, new UserspaceState.Programmed(ImmutableMap.copyOf(listeners), redirects));
      }
    }
    List<NftOp> rules = new ArrayList<>();
    if (nodeMode() && fully) {
      rules.addAll(RedirectRules.skeleton(change.family(), change.next().nodePortAddresses(), nodePorts));
      for (IpAddress clusterIp : ImmutableList.sortedCopyOf(change.next().clusterIps())) {
        rules.add(RedirectRules.addClusterIp(change.family(), clusterIp));
      }
    } else if (nodeMode()) {
      clusterIpChanges(change, rules);
    }
    rules.addAll(deletes);
    rules.addAll(adds);
    UserspaceTransaction transaction =
        new UserspaceTransaction(
            ImmutableList.<ListenerOp>builder().addAll(closes).addAll(opens).build(), NftTransaction.of(rules));
    return new Compiled<>(
        transaction,
        new UserspaceState(ImmutableMap.copyOf(after), target, ImmutableList.copyOf(change.next().nodePortAddresses())));
  }

  /** The {@code cluster-ips} changes of a partial compile: ClusterIPs of changed keys gained or lost. */
  private static void clusterIpChanges(TableChange change, List<NftOp> rules) {
    Set<IpAddress> touched = new TreeSet<>();
    for (ServicePortKey key : change.changedKeys()) {
      for (ServiceEntry e : new ServiceEntry[] {change.previous().entry(key), change.next().entry(key)}) {
        if (e != null) {
          e.frontends().stream()
              .filter(f -> f.kind() == FrontendKind.CLUSTER_IP)
              .forEach(f -> touched.add(f.address()));
        }
      }
    }
    for (IpAddress a : touched) {
      boolean before = change.previous().isClusterIp(a);
      boolean after = change.next().isClusterIp(a);
      if (before && !after) {
        rules.add(RedirectRules.deleteClusterIp(change.family(), a));
      } else if (after && !before) {
        rules.add(RedirectRules.addClusterIp(change.family(), a));
      }
    }
  }

  /**
   * Each family's listener operations, one line each, then (node mode) the exact input of
   * {@code nft -f -} for the redirect tables.
   */
  @Override
  public String render(Map<IpFamily, UserspaceTransaction> transactions) {
    StringBuilder out = new StringBuilder();
    List<NftTransaction> rules = new ArrayList<>();
    for (UserspaceTransaction t : transactions.values()) {
      for (ListenerOp op : t.listeners()) {
        out.append(op.render()).append('\n');
      }
      rules.add(t.rules());
    }
    NftTransaction merged = NftTransaction.merged(rules);
    if (!merged.isEmpty()) {
      out.append("# nft -f -\n").append(new NftRenderer().render(merged));
    }
    return out.toString();
  }

  /** The node address redirects point at: the table's first of its family, in node mode. */
  private IpAddress redirectTarget(ForwardingTable table) {
    if (!nodeMode()) {
      return null;
    }
    for (IpAddress a : table.nodeAddresses()) {
      if (a.family() == table.family()) {
        return a;
      }
    }
    return null;
  }

  /** The proxy's open listeners as programmed keys, targets unknown (a full compile retargets them). */
  private static Map<ServicePortKey, UserspaceState.Programmed> fromOpen(OpenListeners existing) {
    Map<ServicePortKey, Map<ListenerSpec, ListenerOp>> byKey = new HashMap<>();
    for (ListenerSpec spec : existing.open()) {
      byKey.computeIfAbsent(spec.key(), k -> new LinkedHashMap<>()).put(spec, new ListenerOp.Close(spec));
    }
    Map<ServicePortKey, UserspaceState.Programmed> out = new HashMap<>();
    byKey.forEach((key, specs) ->
        out.put(key, new UserspaceState.Programmed(ImmutableMap.copyOf(specs), ImmutableSet.of())));
    return out;
  }

  private static boolean sameTarget(ListenerOp op, EndpointList endpoints, SessionAffinity affinity) {
    if (op instanceof ListenerOp.Open open) {
      return open.endpoints().equals(endpoints) && open.affinity().equals(affinity);
    }
    if (op instanceof ListenerOp.Retarget retarget) {
      return retarget.endpoints().equals(endpoints) && retarget.affinity().equals(affinity);
    }
    return false;
  }

  /** Node-mode port assignment: a listener keeps its port; a new one takes the lowest free one. */
  private final class Ports {
    private final IpFamily family;
    private final Set<Integer> used = new HashSet<>();
    private final TreeSet<Integer> unavailable;
    private int next;

    Ports(IpFamily family, Map<ServicePortKey, UserspaceState.Programmed> before, Set<Integer> unavailable) {
      this.family = family;
      this.unavailable = new TreeSet<>(unavailable);
      if (nodePorts != null) {
        for (UserspaceState.Programmed p : before.values()) {
          for (ListenerSpec spec : p.listeners().keySet()) {
            used.add(spec.port());
          }
        }
        next = nodePorts.firstOf(family);
      }
    }

    /** {@code wanted} with the port of the same listener in {@code had}, or a free one. */
    ListenerSpec assign(ListenerSpec wanted, Set<ListenerSpec> had) {
      for (ListenerSpec h : had) {
        if (h.traffic() == wanted.traffic() && h.bindAddress().equals(wanted.bindAddress())) {
          return h;
        }
      }
      while (next <= nodePorts.lastOf(family) && (used.contains(next) || unavailable.contains(next))) {
        next++;
      }
      if (next > nodePorts.lastOf(family)) {
        throw new IllegalStateException("no free listener port left in " + nodePorts.firstOf(family)
            + ".." + nodePorts.lastOf(family) + " for " + family);
      }
      used.add(next);
      return new ListenerSpec(wanted.key(), wanted.traffic(), wanted.bindAddress(), next);
    }
  }
}
