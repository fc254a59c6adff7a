package dev.kubeproxy.nftables;

/** Where transactions go: the real {@code nft} ({@link RealNftKernel}) or memory ({@link FakeNftKernel}). */
public interface NftKernel {
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
}
