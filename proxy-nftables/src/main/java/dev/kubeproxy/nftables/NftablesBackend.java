package dev.kubeproxy.nftables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.kit.KitBackend;
import java.util.function.LongSupplier;

/**
 * The nftables backend: the backend kit ({@link KitBackend}) around {@link NftCompiler} and an
 * {@link NftKernel} (real or fake). All families go in one atomic {@code nft -f} transaction;
 * partial syncs need no kernel listing; a failure leaves the kernel as it was and makes the
 * backend forget, so the next sync is full.
 */
public final class NftablesBackend implements Backend {
  /** The mode's name. */
  public static final String MODE = "nftables";

  private final KitBackend<NftState, NftTransaction, ExistingObjects> kit;

  /** A backend on {@code kernel} using the system clock for stale-chain delays. */
  public NftablesBackend(NftKernel kernel) {
    this(kernel, System::nanoTime);
  }

  public NftablesBackend(NftKernel kernel, LongSupplier nanoClock) {
    this.kit = new KitBackend<>(MODE, new NftCompiler(), kernel, nanoClock);
  }

  @Override
  public String mode() {
    return MODE;
  }

  @Override
  public SyncResult sync(SyncRequest request) throws SyncException {
    return kit.sync(request);
  }

  @Override
  public String render(SyncRequest request) throws SyncException {
    return kit.render(request);
  }

  @Override
  public void cleanup() throws SyncException {
    kit.cleanup();
  }

  /** What was committed for {@code family}, or null when the next sync will be full. */
  public NftState committed(IpFamily family) {
    return kit.committed(family);
  }
}
