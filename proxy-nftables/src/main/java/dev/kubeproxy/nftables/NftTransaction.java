package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.backend.kit.KernelTransaction;
import java.util.Collection;
import java.util.List;

/** An ordered list of {@link NftOp}s that the kernel applies atomically, all or nothing. */
public record NftTransaction(ImmutableList<NftOp> ops) implements KernelTransaction {
  public static final NftTransaction EMPTY = new NftTransaction(ImmutableList.of());

  public NftTransaction {
    ops = ops == null ? ImmutableList.of() : ops;
  }

  public static NftTransaction of(List<? extends NftOp> ops) {
    return new NftTransaction(ImmutableList.copyOf(ops));
  }

  /** The operations of {@code transactions} in order, as one transaction. */
  public static NftTransaction merged(Collection<NftTransaction> transactions) {
    ImmutableList.Builder<NftOp> ops = ImmutableList.builder();
    for (NftTransaction t : transactions) {
      ops.addAll(t.ops);
    }
    return new NftTransaction(ops.build());
  }

  /** This transaction followed by {@code other}'s operations. */
  public NftTransaction then(NftTransaction other) {
    return new NftTransaction(ImmutableList.<NftOp>builder().addAll(ops).addAll(other.ops).build());
  }

  @Override
  public boolean isEmpty() {
    return ops.isEmpty();
  }

  @Override
  public int size() {
    return ops.size();
  }
}
