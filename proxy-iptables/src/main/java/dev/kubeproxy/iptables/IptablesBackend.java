package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.kit.KitBackend;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The iptables backend (mode {@code iptables}): the backend kit ({@link KitBackend}) around
 * {@link IptCompiler} and an {@link IptKernel}, one restore run per family. A partial sync
 * reads nothing from the kernel; only a full sync reads the tables. A failure makes the backend
 * forget everything, so the next sync is full.
 */
public final class IptablesBackend implements Backend {
  /** The mode's name. */
  public static final String MODE = "iptables";

  private final IptKernel kernel;
  private final IptCompiler compiler;
  private final KitBackend<IptState, IptTransaction, IptExisting> kit;
  private boolean routeLocalnetSet;

  public IptablesBackend(IptKernel kernel) {
    this(kernel, System::nanoTime);
  }

  public IptablesBackend(IptKernel kernel, LongSupplier nanoClock) {
    this(kernel, nanoClock, true);
  }

  /**
   * A backend; {@code localhostNodePorts} is upstream's {@code iptables.localhostNodePorts}
   * (default true): IPv4 NodePorts also answer on 127.0.0.1, and before the first sync that
   * needs it the kernel sets route_localnet=1 (through the kernel's command runner).
   */
  public IptablesBackend(IptKernel kernel, LongSupplier nanoClock, boolean localhostNodePorts) {
    this.kernel = kernel;
    this.compiler = new IptCompiler(localhostNodePorts);
    this.kit = new KitBackend<>(MODE, compiler, kernel, nanoClock);
  }

  @Override
  public String mode() {
    return MODE;
  }

  @Override
  public SyncResult sync(SyncRequest request) throws SyncException {
    if (!routeLocalnetSet && request.changes().stream()
        .anyMatch(c -> compiler.localhostNodePorts(c.next()))) {
      try {
        kernel.enableRouteLocalnet();
      } catch (IptException e) {
        throw new SyncException(e.getMessage(), e);
      }
      routeLocalnetSet = true;
    }
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

  /**
   * Checks the canary chains, as upstream's monitor does periodically: a family whose canary is
   * gone (a firewall reload flushed the tables) is forgotten, so its next sync is full.
   *
   * @return whether every committed family still had its canary
   */
  public boolean canaryIntact() throws SyncException {
    boolean intact = true;
    for (IpFamily family : List.of(IpFamily.values())) {
      if (kit.committed(family) == null) {
        continue;
      }
      try {
        if (!kernel.canaryPresent(family)) {
          kit.forget(family);
          intact = false;
        }
      } catch (IptException e) {
        kit.forget(family);
        throw new SyncException(e.getMessage(), e);
      }
    }
    return intact;
  }

  /** The sync engine's periodic check: {@link #canaryIntact}. */
  @Override
  public boolean intact() throws SyncException {
    return canaryIntact();
  }

  /** What was committed for {@code family}, or null when the next sync will be full. */
  public IptState committed(IpFamily family) {
    return kit.committed(family);
  }
}
