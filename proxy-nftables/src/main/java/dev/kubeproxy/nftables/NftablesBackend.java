package dev.kubeproxy.nftables;

import dev.kubeproxy.api.backend.kit.KitBackend;
import java.util.function.LongSupplier;

/**
 * The nftables backend: the backend kit ({@link KitBackend}) around {@link NftCompiler} and an
 * {@link NftKernel} (real or fake). All families go in one atomic {@code nft -f} transaction;
 * partial syncs need no kernel listing; a failure leaves the kernel as it was and makes the
 * backend forget, so the next sync is full.
 */
public final class NftablesBackend extends KitBackend<NftState, NftTransaction, ExistingObjects> {
  /** The mode's name. */
  public static final String MODE = "nftables";

  /** A backend on {@code kernel} using the system clock for stale-chain delays. */
  public NftablesBackend(NftKernel kernel) {
    this(kernel, System::nanoTime);
  }

  public NftablesBackend(NftKernel kernel, LongSupplier nanoClock) {
    super(MODE, new NftCompiler(), kernel, nanoClock);
  }
}
