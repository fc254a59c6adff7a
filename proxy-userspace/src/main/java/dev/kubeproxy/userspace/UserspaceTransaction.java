package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.backend.kit.KernelTransaction;
import dev.kubeproxy.nftables.NftTransaction;
import java.util.Objects;

/**
 * One family's userspace changes: listener operations (closes first, then opens and retargets)
 * and, in node mode, the nftables changes of its redirect table.
 */
public record UserspaceTransaction(ImmutableList<ListenerOp> listeners, NftTransaction rules)
    implements KernelTransaction {
  public UserspaceTransaction {
    Objects.requireNonNull(listeners, "listeners");
    Objects.requireNonNull(rules, "rules");
  }

  @Override
  public int size() {
    return listeners.size() + rules.size();
  }
}
