package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.kit.BackendKernel;
import java.util.Map;

/**
 * Where transactions go: the real {@code nft} ({@link RealNftKernel}) or memory ({@link
 * FakeNftKernel}). Every family's transaction goes in one {@code nft -f} run, atomically.
 */
public interface NftKernel extends BackendKernel<NftTransaction, ExistingObjects> {
  /**
   * Applies {@code transaction} atomically: all of it, or (throwing) none of it.
   *
   * @return the number of bytes of tool input the transaction took
   */
  long apply(NftTransaction transaction) throws NftException;

  /** The current contents of {@code table} as text, for diagnostics; throws if absent. */
  String list(NftTable table) throws NftException;

  /**
   * The chains, sets and maps {@code table} holds, or {@link ExistingObjects#ABSENT}; read only
   * before a full sync, never on a partial one.
   */
  ExistingObjects objects(NftTable table) throws NftException;

  @Override
  default ExistingObjects read(IpFamily family) throws NftException {
    return objects(NftTable.kubeProxy(family));
  }

  /** All families' transactions as one nft transaction. */
  @Override
  default long apply(Map<IpFamily, NftTransaction> transactions) throws NftException {
    return apply(NftTransaction.merged(transactions.values()));
  }

  /** Deletes both families' tables; absent tables are fine ({@code add} before {@code delete}). */
  @Override
  default void cleanup() throws NftException {
    ImmutableList.Builder<NftOp> ops = ImmutableList.builder();
    for (IpFamily family : IpFamily.values()) {
      NftTable table = NftTable.kubeProxy(family);
      ops.add(new NftOp.AddTable(table, null));
      ops.add(new NftOp.DeleteTable(table));
    }
    apply(new NftTransaction(ops.build()));
  }
}
