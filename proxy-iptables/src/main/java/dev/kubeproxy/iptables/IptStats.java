package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.BackendStats;
import dev.kubeproxy.api.backend.BackendStats.Metric;
import dev.kubeproxy.api.backend.BackendStats.Sample;
import dev.kubeproxy.api.backend.BackendStats.Type;
import dev.kubeproxy.iptables.IptOp.AppendRule;
import dev.kubeproxy.iptables.IptOp.InsertRule;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Upstream's iptables-mode metrics, counted by the backend: rules owned and rules written by
 * the last sync per table and family, and (partial) restore failures per family. Thread-safe:
 * the sync thread records, a scrape reads; rule totals are counted at scrape time from the
 * committed state, so syncs pay nothing for them.
 */
final class IptStats {
  static final String RULES_TOTAL = "kubeproxy_sync_proxy_rules_iptables_total";
  static final String RULES_LAST = "kubeproxy_sync_proxy_rules_iptables_last";
  static final String RESTORE_FAILURES = "kubeproxy_sync_proxy_rules_iptables_restore_failures_total";
  static final String PARTIAL_RESTORE_FAILURES =
      "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total";

  private final Map<IpFamily, AtomicLong> restoreFailures = new EnumMap<>(IpFamily.class);
  private final Map<IpFamily, AtomicLong> partialFailures = new EnumMap<>(IpFamily.class);
  private final Map<IpFamily, Map<IptTable, Integer>> lastWritten = new ConcurrentHashMap<>();
  private volatile Map<IpFamily, IptState> committed = Map.of();
  private final boolean localhostNodePorts;

  IptStats(boolean localhostNodePorts) {
    this.localhostNodePorts = localhostNodePorts;
    for (IpFamily f : IpFamily.values()) {
      restoreFailures.put(f, new AtomicLong());
      partialFailures.put(f, new AtomicLong());
    }
  }

  /** A restore run for {@code family} failed. */
  void restoreFailed(IpFamily family) {
    restoreFailures.get(family).incrementAndGet();
  }

  /** A sync that tried to be partial for {@code family} failed (the next one is full). */
  void partialSyncFailed(IpFamily family) {
    partialFailures.get(family).incrementAndGet();
  }

  /** {@code transaction} was applied to {@code family}: its rule lines per table are the last sync's. */
  void applied(IpFamily family, IptTransaction transaction) {
    Map<IptTable, Integer> written = new EnumMap<>(IptTable.class);
    for (IptTable t : List.of(IptTable.FILTER, IptTable.NAT)) {
      int n = 0;
      for (IptOp op : transaction.ops(t)) {
        if (op instanceof AppendRule || op instanceof InsertRule) {
          n++;
        }
      }
      written.put(t, n);
    }
    lastWritten.put(family, written);
  }

  /** What the backend now holds per family (families it forgot are absent). */
  void committed(Map<IpFamily, IptState> states) {
    committed = Map.copyOf(states);
  }

  ImmutableList<Metric> metrics() {
    ImmutableList.Builder<Sample> total = ImmutableList.builder();
    ImmutableList.Builder<Sample> last = ImmutableList.builder();
    Map<IpFamily, IptState> states = committed;
    for (IpFamily f : IpFamily.values()) {
      IptState s = states.get(f);
      Map<IptTable, Integer> written = lastWritten.get(f);
      for (IptTable t : List.of(IptTable.FILTER, IptTable.NAT)) {
        if (s != null) {
          total.add(new Sample(labels(f, t), rulesOwned(s, t)));
        }
        if (written != null) {
          last.add(new Sample(labels(f, t), written.get(t)));
        }
      }
    }
    return ImmutableList.of(
        new Metric(RULES_TOTAL, "Total number of iptables rules owned by kube-proxy", Type.GAUGE,
            total.build()),
        new Metric(RULES_LAST, "Number of iptables rules written by kube-proxy in last sync",
            Type.GAUGE, last.build()),
        new Metric(RESTORE_FAILURES, "Cumulative proxy iptables restore failures", Type.COUNTER,
            perFamily(restoreFailures)),
        new Metric(PARTIAL_RESTORE_FAILURES, "Cumulative proxy iptables partial restore failures",
            Type.COUNTER, perFamily(partialFailures)));
  }

  /** The rules of {@code table} the state stands for, jumps from built-in chains not counted (as upstream). */
  int rulesOwned(IptState state, IptTable table) {
    ForwardingTable facts = state.facts();
    boolean localhost = IptSkeleton.localhostNodePorts(facts, localhostNodePorts);
    int n = table == IptTable.FILTER
        ? IptSkeleton.filterRules(facts).size() + 1 + state.clusterIpRejects().size()
            + (localhost ? 1 : 0)
        : IptSkeleton.natRules(facts).size() + IptSkeleton.nodePortJumps(facts, localhost).size();
    for (EntryRules e : state.entries().values()) {
      for (EntryRules.Placed p : e.dispatch()) {
        if (p.table() == table) {
          n++;
        }
      }
      if (table == IptTable.NAT) {
        for (List<IptRule> rules : e.chains().values()) {
          n += rules.size();
        }
      }
    }
    return n;
  }

  private static ImmutableMap<String, String> labels(IpFamily family, IptTable table) {
    return ImmutableMap.of("ip_family", family(family), "table", table.tableName());
  }

  private static ImmutableList<Sample> perFamily(Map<IpFamily, AtomicLong> counts) {
    ImmutableList.Builder<Sample> b = ImmutableList.builder();
    for (Map.Entry<IpFamily, AtomicLong> e : counts.entrySet()) {
      b.add(new Sample(ImmutableMap.of("ip_family", family(e.getKey())), e.getValue().get()));
    }
    return b.build();
  }

  private static String family(IpFamily f) {
    return f == IpFamily.V4 ? "IPv4" : "IPv6";
  }
}
