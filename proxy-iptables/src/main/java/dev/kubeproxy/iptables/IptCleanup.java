package dev.kubeproxy.iptables;

import dev.kubeproxy.iptables.IptOp.DeclareChain;
import dev.kubeproxy.iptables.IptOp.DeleteChain;
import dev.kubeproxy.iptables.IptOp.DeleteRule;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What {@code --cleanup} removes of one family: our jumps and our chains, nothing else. */
final class IptCleanup {
  private IptCleanup() {}

  /** The transaction that removes what {@code existing} holds of ours. Pure. */
  static IptTransaction transaction(IptExisting existing) {
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
      List<String> delete = new ArrayList<>();
      for (String chain : table.chains()) {
        if (ours.contains(chain) || IptNames.isServiceChain(chain)) {
          delete.add(chain);
        }
      }
      // Declaring flushes each chain, so the deletes that follow find them empty.
      for (String chain : delete) {
        tx.add(t, new DeclareChain(chain));
      }
      for (String chain : delete) {
        tx.add(t, new DeleteChain(chain));
      }
    }
    return tx.build();
  }
}
