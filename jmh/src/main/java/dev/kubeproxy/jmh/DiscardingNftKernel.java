package dev.kubeproxy.jmh;

import dev.kubeproxy.nftables.ExistingObjects;
import dev.kubeproxy.nftables.NftException;
import dev.kubeproxy.nftables.NftKernel;
import dev.kubeproxy.nftables.NftRenderer;
import dev.kubeproxy.nftables.NftTable;
import dev.kubeproxy.nftables.NftTransaction;
import java.nio.charset.StandardCharsets;

/**
 * A kernel that renders each transaction and drops it: lets the benchmark hold exactly the
 * backend's own committed state (no fake-kernel copy of the rules) when the real {@code nft}
 * cannot load a shape within its timeout, so memory can still be measured.
 */
final class DiscardingNftKernel implements NftKernel {
  private final NftRenderer renderer = new NftRenderer();
  private byte[] lastText;

  @Override
  public long apply(NftTransaction transaction) {
    lastText = renderer.render(transaction).getBytes(StandardCharsets.UTF_8);
    return lastText.length;
  }

  /** The text of the last transaction, as {@code nft -f} would have read it; null before one. */
  byte[] lastText() {
    return lastText;
  }

  @Override
  public String list(NftTable table) throws NftException {
    throw new NftException("the discarding kernel keeps nothing to list");
  }

  /** Nothing is kept, so every full sync starts from an absent table. */
  @Override
  public ExistingObjects objects(NftTable table) {
    return ExistingObjects.ABSENT;
  }
}
