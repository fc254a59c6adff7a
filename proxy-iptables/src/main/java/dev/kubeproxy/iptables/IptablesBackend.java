package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.iptables.IptOp.DeclareChain;
import dev.kubeproxy.iptables.IptOp.DeleteChain;
import dev.kubeproxy.iptables.IptOp.DeleteRule;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The iptables backend (mode {@code iptables}): compiles each family's change ({@link
 * IptCompiler}), applies it with one restore run per family through an {@link IptKernel}, and
 * remembers what it committed so that a partial sync reads nothing from the kernel. Only a full
 * sync reads the tables. A failure makes the backend forget everything, so the next sync is full.
 */
public final class IptablesBackend implements Backend {
  private final IptKernel kernel;
  private final IptCompiler compiler = new IptCompiler();
  private final Map<IpFamily, IptState> committed = new EnumMap<>(IpFamily.class);

  public IptablesBackend(IptKernel kernel) {
    this.kernel = Objects.requireNonNull(kernel);
  }

  @Override
  public String mode() {
    return "iptables";
  }

  @Override
  public SyncResult sync(SyncRequest request) throws SyncException {
    int operations = 0;
    long bytes = 0;
    try {
      for (TableChange change : request.changes()) {
        IptState before = committed.get(change.family());
        IptExisting existing = compiler.needsFull(change, request.full(), before)
            ? kernel.read(change.family())
            : IptExisting.ABSENT;
        IptCompiler.Result result = compiler.compile(change, request.full(), before, existing);
        bytes += kernel.apply(change.family(), result.transaction());
        operations += result.transaction().size();
        committed.put(change.family(), result.state());
      }
    } catch (IllegalArgumentException e) {
      committed.clear();
      throw new SyncException("cannot compile iptables rules: " + e.getMessage(), e);
    } catch (IptException e) {
      committed.clear();
      throw new SyncException(e.getMessage(), e);
    }
    return new SyncResult(operations, (int) Math.min(Integer.MAX_VALUE, bytes));
  }

  /**
   * Removes, in both families, the jumps from the built-in chains and every chain this backend
   * writes; other rules and chains (kubelet's {@code KUBE-FIREWALL}, users' rules) stay.
   */
  @Override
  public void cleanup() throws SyncException {
    committed.clear();
    try {
      for (IpFamily family : IpFamily.values()) {
        IptExisting existing = kernel.read(family);
        kernel.apply(family, cleanupTransaction(existing));
      }
    } catch (IptException e) {
      throw new SyncException(e.getMessage(), e);
    }
  }

  /** The transaction that removes what {@code existing} holds of ours. Pure. */
  static IptTransaction cleanupTransaction(IptExisting existing) {
    IptTransaction.Builder tx = IptTransaction.builder();
    for (IptSkeleton.Jump jump : IptSkeleton.JUMPS) {
      IptExisting.Table table = existing.table(jump.table());
      if (table.hasJump(jump.builtin(), jump.comment(), jump.target())) {
        tx.add(jump.table(), new DeleteRule(jump.rule()));
      }
    }
    for (IptTable t : IptExisting.ownTables()) {
      Set<String> ours = new HashSet<>(t == IptTable.FILTER ? IptSkeleton.FILTER_CHAINS
          : t == IptTable.NAT ? IptSkeleton.NAT_CHAINS : List.of());
      ours.add(IptNames.CANARY);
      IptExisting.Table table = existing.table(t);
      List<String> delete = new java.util.ArrayList<>();
      for (String chain : table.chains()) {
        if (ours.contains(chain) || IptNames.isServiceChain(chain)) {
          delete.add(chain);
        }
      }
      for (String chain : delete) {
        tx.add(t, new DeclareChain(chain));
      }
      for (String chain : delete) {
        tx.add(t, new DeleteChain(chain));
      }
    }
    return tx.build();
  }

  /**
   * Checks the canary chains, as upstream's monitor does periodically: a family whose canary is
   * gone (a firewall reload flushed the tables) is forgotten, so its next sync is full.
   *
   * @return whether every committed family still had its canary
   */
  public boolean canaryIntact() throws SyncException {
    boolean intact = true;
    for (IpFamily family : List.copyOf(committed.keySet())) {
      try {
        if (!kernel.canaryPresent(family)) {
          committed.remove(family);
          intact = false;
        }
      } catch (IptException e) {
        committed.remove(family);
        throw new SyncException(e.getMessage(), e);
      }
    }
    return intact;
  }

  /** What was committed for {@code family}, or null when the next sync will be full. */
  public IptState committed(IpFamily family) {
    return committed.get(family);
  }
}
