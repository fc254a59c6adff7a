package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import java.util.List;

/** An ordered list of {@link NftOp}s that the kernel applies atomically, all or nothing. */
public record NftTransaction(ImmutableList<NftOp> ops) {
  public static final NftTransaction EMPTY = new NftTransaction(ImmutableList.of());

  public NftTransaction {
    ops = ops == null ? ImmutableList.of() : ops;
  }

  public static NftTransaction of(List<? extends NftOp> ops) {
    return new NftTransaction(ImmutableList.copyOf(ops));
  }

  /** This transaction followed by {@code other}'s operations. */
  public NftTransaction then(NftTransaction other) {
    return new NftTransaction(ImmutableList.<NftOp>builder().addAll(ops).addAll(other.ops).build());
  }

  public boolean isEmpty() {
    return ops.isEmpty();
  }

  public int size() {
    return ops.size();
  }
}
