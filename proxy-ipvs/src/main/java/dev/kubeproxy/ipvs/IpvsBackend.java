package dev.kubeproxy.ipvs;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.kit.KitBackend;
import java.util.function.LongSupplier;

/**
 * The IPVS backend: the backend kit ({@link KitBackend}) around {@link IpvsCompiler} and an {@link
 * IpvsKernel} (real or fake), which also reports the connections of draining real servers. Partial
 * syncs need no kernel listing; a failure makes the backend forget, so the next sync reads the
 * kernel and repairs whatever a half-applied run left.
 */
public final class IpvsBackend implements Backend {
  /** The mode's name. */
  public static final String MODE = "ipvs";

  private final KitBackend<IpvsState, IpvsTransaction, IpvsExisting> kit;

  /** A backend on {@code kernel} with the default settings and the system clock. */
  public IpvsBackend(IpvsKernel kernel) {
    this(kernel, IpvsConfig.DEFAULT, System::nanoTime);
  }

  public IpvsBackend(IpvsKernel kernel, IpvsConfig config, LongSupplier nanoClock) {
    this.kit = new KitBackend<>(MODE, new IpvsCompiler(config, kernel), kernel, nanoClock);
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
  public IpvsState committed(IpFamily family) {
    return kit.committed(family);
  }
}
