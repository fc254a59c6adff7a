package dev.kubeproxy.iptables;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.iptables.IptOp.AppendRule;
import dev.kubeproxy.iptables.IptOp.DeclareChain;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Splits a large nat step list into small commits that go first, for {@code iptables-nft-restore}.
 *
 * <p>Why: iptables-nft (1.8.x) keeps the names of the chains a commit touches (each rule's chain
 * and jump target) in a sorted linked list, inserted one by one, so one commit naming C chains
 * costs O(commands × C) string compares: a first sync at 2k services × 10 endpoints took minutes.
 * Committing the service chains in batches of a few hundred keeps each list short. A chain is
 * preloaded only when the list does nothing to it but declare it and append its rules, and all
 * its jump targets are preloaded no later or not declared by this list at all; the rest (the
 * dispatch chains, jumps from built-in chains, deletions) stays in the last, atomic commit. Each
 * chain is still replaced atomically; only the switch-over of the whole table is not. Pure.
 */
final class NftPreload {
  /** The commits in order: preloads first, then what stays (maybe empty). */
  record Split(ImmutableList<ImmutableList<IptOp>> preloads, ImmutableList<IptOp> rest) {}

  private NftPreload() {}

  /**
   * Splits {@code ops} when more than {@code maxChains} service chains can be preloaded; else
   * returns them whole as the only commit.
   */
  static Split split(List<IptOp> ops, int maxChains) {
    checkArgument(maxChains > 0, "maxChains must be positive");
    Map<String, List<IptOp>> own = new LinkedHashMap<>();
    Set<String> declared = new HashSet<>();
    Set<String> touchedOtherwise = new HashSet<>();
    for (IptOp op : ops) {
      if (op instanceof DeclareChain d) {
        if (!declared.add(d.chain())) {
          touchedOtherwise.add(d.chain());
        }
        own.computeIfAbsent(d.chain(), c -> new ArrayList<>()).add(op);
      } else if (op instanceof AppendRule a && declared.contains(a.chain())) {
        own.get(a.chain()).add(op);
      } else {
        touchedOtherwise.add(op.chain());
      }
    }
    Set<String> movable = new HashSet<>(own.keySet());
    movable.removeAll(touchedOtherwise);

    // Batch 0: chains of ours that jump to no chain this list declares (the mark chains).
    List<String> first = new ArrayList<>();
    for (String c : own.keySet()) {
      if (movable.contains(c) && !IptNames.isServiceChain(c)
          && jumpTargets(own.get(c), declared).isEmpty()) {
        first.add(c);
      }
    }
    Set<String> early = new HashSet<>(first);

    // Service chains joined by jumps travel together; a group goes only if all its targets can.
    Map<String, String> parent = new HashMap<>();
    for (String c : own.keySet()) {
      if (movable.contains(c) && IptNames.isServiceChain(c)) {
        parent.put(c, c);
      }
    }
    Set<String> stuck = new HashSet<>();
    for (String c : parent.keySet()) {
      for (String t : jumpTargets(own.get(c), declared)) {
        if (parent.containsKey(t)) {
          union(parent, c, t);
        } else if (!early.contains(t)) {
          stuck.add(c);
        }
      }
    }
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (String c : own.keySet()) {
      if (parent.containsKey(c)) {
        groups.computeIfAbsent(find(parent, c), r -> new ArrayList<>()).add(c);
      }
    }
    Set<String> stuckRoots = new HashSet<>();
    for (String c : stuck) {
      stuckRoots.add(find(parent, c));
    }
    groups.keySet().removeAll(stuckRoots);
    int preloadable = groups.values().stream().mapToInt(List::size).sum();
    if (preloadable <= maxChains) {
      return new Split(ImmutableList.of(), ImmutableList.copyOf(ops));
    }

    List<ImmutableList<IptOp>> preloads = new ArrayList<>();
    Set<String> moved = new HashSet<>(first);
    if (!first.isEmpty()) {
      preloads.add(commit(first, own));
    }
    List<String> batch = new ArrayList<>();
    for (List<String> group : groups.values()) {
      if (!batch.isEmpty() && batch.size() + group.size() > maxChains) {
        preloads.add(commit(batch, own));
        batch = new ArrayList<>();
      }
      batch.addAll(group);
      moved.addAll(group);
    }
    if (!batch.isEmpty()) {
      preloads.add(commit(batch, own));
    }
    ImmutableList.Builder<IptOp> rest = ImmutableList.builder();
    for (IptOp op : ops) {
      boolean ownStep = op instanceof DeclareChain || op instanceof AppendRule;
      if (!(ownStep && moved.contains(op.chain()))) {
        rest.add(op);
      }
    }
    return new Split(ImmutableList.copyOf(preloads), rest.build());
  }

  /** Declarations first, then the rules, so jumps inside the batch find their chain. */
  private static ImmutableList<IptOp> commit(List<String> chains, Map<String, List<IptOp>> own) {
    ImmutableList.Builder<IptOp> b = ImmutableList.builder();
    for (String c : chains) {
      b.add(own.get(c).get(0));
    }
    for (String c : chains) {
      List<IptOp> steps = own.get(c);
      b.addAll(steps.subList(1, steps.size()));
    }
    return b.build();
  }

  /** The chains {@code steps} jump to that this list also declares. */
  private static Set<String> jumpTargets(List<IptOp> steps, Set<String> declared) {
    Set<String> targets = new HashSet<>();
    for (IptOp op : steps) {
      if (op instanceof AppendRule a) {
        String t = a.rule().target();
        if (t != null && declared.contains(t)) {
          targets.add(t);
        }
      }
    }
    return targets;
  }

  private static String find(Map<String, String> parent, String c) {
    String root = c;
    while (!parent.get(root).equals(root)) {
      root = parent.get(root);
    }
    while (!parent.get(c).equals(root)) {
      String next = parent.get(c);
      parent.put(c, root);
      c = next;
    }
    return root;
  }

  private static void union(Map<String, String> parent, String a, String b) {
    String ra = find(parent, a);
    String rb = find(parent, b);
    if (!ra.equals(rb)) {
      parent.put(ra, rb);
    }
  }
}
