package dev.kubeproxy.ipvs;

import dev.kubeproxy.api.backend.kit.KitBackend;
import java.util.function.LongSupplier;

/**
 * The IPVS backend: the backend kit ({@link KitBackend}) around {@link IpvsCompiler} and an {@link
 * IpvsKernel} (real or fake), which also reports the connections of draining real servers. Partial
 * syncs need no kernel listing; a failure makes the backend forget, so the next sync reads the
 * kernel and repairs whatever a half-applied run left.
 */
public final class IpvsBackend extends KitBackend<IpvsState, IpvsTransaction, IpvsExisting> {
  /** The mode's name. */
  public static final String MODE = "ipvs";

  /** A backend on {@code kernel} with the default settings and the system clock. */
  public IpvsBackend(IpvsKernel kernel) {
    this(kernel, IpvsConfig.DEFAULT, System::nanoTime);
  }

  public IpvsBackend(IpvsKernel kernel, IpvsConfig config, LongSupplier nanoClock) {
    super(MODE, new IpvsCompiler(config, kernel), kernel, nanoClock);
  }
}
