package dev.kubeproxy.api.backend.kit;

import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.TableChange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Compiles one family's change so that a service port the compiler cannot compile costs only
 * itself (DESIGN §9): when the compile throws, the ports that fail on their own are found by
 * halving the candidates (each half compiled in isolation, as on an empty node), and the change
 * is compiled again without them. To the compiler a skipped port never existed: it is taken out
 * of the previous table (nothing of it was committed) and of the next, and it is retried only
 * when its entry changes or the compile is full, so a port that stays bad costs no work.
 */
final class PortIsolation {
  private PortIsolation() {}

  /** A compile and the ports it left out, each with the reason its compile failed. */
  record Outcome<S, T>(
      BackendCompiler.Compiled<S, T> compiled, ImmutableSortedMap<ServicePortKey, String> skipped) {}

  /**
   * Compiles {@code change} as {@link BackendCompiler#compile} does, given the ports skipped by
   * the sync that led to {@code committed}. A failure that no port causes on its own (the
   * table-wide facts, or two ports together) is thrown as before.
   */
  static <S, T extends KernelTransaction, X> Outcome<S, T> compile(
      BackendCompiler<S, T, X> compiler, TableChange change, boolean full, S committed,
      X existing, long now, Map<ServicePortKey, String> skippedBefore) {
    boolean whole = compiler.compilesFully(change, full, committed);
    SortedMap<ServicePortKey, String> carried = new TreeMap<>();
    if (!whole) {
      for (Map.Entry<ServicePortKey, String> e : skippedBefore.entrySet()) {
        if (!change.changedKeys().contains(e.getKey()) && change.next().entry(e.getKey()) != null) {
          carried.put(e.getKey(), e.getValue());
        }
      }
    }
    TableChange effective = new TableChange(
        change.family(),
        without(change.previous(), skippedBefore.keySet()),
        without(change.next(), carried.keySet()),
        change.changedKeys());
    try {
      return new Outcome<>(
          compiler.compile(effective, full, committed, existing, now),
          ImmutableSortedMap.copyOfSorted(carried));
    } catch (RuntimeException failure) {
      List<ServicePortKey> candidates = new ArrayList<>();
      for (ServicePortKey key : whole ? effective.next().entries().keySet() : change.changedKeys()) {
        if (effective.next().entry(key) != null) {
          candidates.add(key);
        }
      }
      candidates.sort(null);
      SortedMap<ServicePortKey, String> bad = new TreeMap<>();
      findFailing(compiler, effective.next(), candidates, now, bad);
      if (bad.isEmpty()) {
        throw failure;
      }
      TableChange retry = new TableChange(
          change.family(), effective.previous(), without(effective.next(), bad.keySet()),
          change.changedKeys());
      BackendCompiler.Compiled<S, T> compiled;
      try {
        compiled = compiler.compile(retry, full, committed, existing, now);
      } catch (RuntimeException again) {
        again.addSuppressed(failure);
        throw again;
      }
      bad.putAll(carried);
      return new Outcome<>(compiled, ImmutableSortedMap.copyOfSorted(bad));
    }
  }

  /**
   * Puts in {@code bad} the keys of {@code keys} whose entries fail to compile alone: a group
   * that compiles in isolation is clean, a failing group is halved until single keys remain.
   */
  private static <S, T extends KernelTransaction, X> void findFailing(
      BackendCompiler<S, T, X> compiler, ForwardingTable next, List<ServicePortKey> keys,
      long now, Map<ServicePortKey, String> bad) {
    if (keys.isEmpty()) {
      return;
    }
    String reason = isolatedFailure(compiler, next, keys, now);
    if (reason == null) {
      return;
    }
    if (keys.size() == 1) {
      bad.put(keys.get(0), reason);
      return;
    }
    int half = keys.size() / 2;
    findFailing(compiler, next, keys.subList(0, half), now, bad);
    findFailing(compiler, next, keys.subList(half, keys.size()), now, bad);
  }

  /** Why {@code keys}' entries fail to compile on a node holding nothing else; null if they compile. */
  private static <S, T extends KernelTransaction, X> String isolatedFailure(
      BackendCompiler<S, T, X> compiler, ForwardingTable next, List<ServicePortKey> keys, long now) {
    Map<ServicePortKey, ServiceEntry> entries = new HashMap<>();
    for (ServicePortKey key : keys) {
      entries.put(key, next.entry(key));
    }
    ForwardingTable empty = ForwardingTable.empty(next.family(), next.facts());
    TableChange alone = new TableChange(
        next.family(), empty, empty.withEntries(entries), ImmutableSet.copyOf(keys));
    try {
      compiler.compile(alone, true, null, compiler.nothingInstalled(next.family()), now);
      return null;
    } catch (RuntimeException e) {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
  }

  private static ForwardingTable without(ForwardingTable table, Set<ServicePortKey> keys) {
    if (keys.isEmpty()) {
      return table;
    }
    Map<ServicePortKey, ServiceEntry> removals = new HashMap<>();
    for (ServicePortKey key : keys) {
      if (table.entry(key) != null) {
        removals.put(key, null);
      }
    }
    return removals.isEmpty() ? table : table.withEntries(removals);
  }
}
