package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.kit.KitBackend;
import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.backend.BackendStats;
import dev.kubeproxy.api.backend.SkippedPorts;
import dev.kubeproxy.api.ServicePortKey;
import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.backend.TableChange;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The iptables backend (mode {@code iptables}): the backend kit ({@link KitBackend}) around
 * {@link IptCompiler} and an {@link IptKernel}, one restore run per family. A partial sync
 * reads nothing from the kernel; only a full sync reads the tables. A failure makes the backend
 * forget everything, so the next sync is full.
 */
public final class IptablesBackend implements Backend, BackendStats, SkippedPorts {
  /** The mode's name. */
  public static final String MODE = "iptables";

  private final IptKernel kernel;
  private final IptCompiler compiler;
  private final KitBackend<IptState, IptTransaction, IptExisting> kit;
  private boolean routeLocalnetSet;
  private final IptStats stats;

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
    this.stats = new IptStats(localhostNodePorts);
    this.kit = new KitBackend<>(MODE, compiler, new Counted(kernel, stats), nanoClock);
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
    Set<IpFamily> partial = EnumSet.noneOf(IpFamily.class);
    for (TableChange c : request.changes()) {
      IptState committed = kit.committed(c.family());
      if (!compiler.compilesFully(c, request.full(), committed)) {
        partial.add(c.family());
      }
    }
    try {
      return kit.sync(request);
    } catch (SyncException | RuntimeException e) {
      partial.forEach(stats::partialSyncFailed);
      throw e;
    } finally {
      publishCommitted();
    }
  }

  private void publishCommitted() {
    Map<IpFamily, IptState> states = new EnumMap<>(IpFamily.class);
    for (IpFamily f : IpFamily.values()) {
      IptState s = kit.committed(f);
      if (s != null) {
        states.put(f, s);
      }
    }
    stats.committed(states);
  }

  /**
   * Upstream's iptables metrics: {@code kubeproxy_sync_proxy_rules_iptables_total} and {@code
   * _last} (labels table, ip_family), {@code _iptables_restore_failures_total} and {@code
   * _iptables_partial_restore_failures_total} (label ip_family); and the kit's skipped service ports.
   */
  @Override
  public ImmutableList<Metric> metrics() {
    return ImmutableList.<Metric>builder().addAll(stats.metrics()).addAll(kit.metrics()).build();
  }

  /** The kernel, counting restore failures and the rules each restore wrote. */
  private record Counted(IptKernel kernel, IptStats stats) implements IptKernel {
    @Override
    public long apply(IpFamily family, IptTransaction transaction) throws IptException {
      long bytes;
      try {
        bytes = kernel.apply(family, transaction);
      } catch (IptException e) {
        stats.restoreFailed(family);
        throw e;
      }
      stats.applied(family, transaction);
      return bytes;
    }

    @Override
    public IptExisting read(IpFamily family) throws IptException {
      return kernel.read(family);
    }

    @Override
    public void enableRouteLocalnet() throws IptException {
      kernel.enableRouteLocalnet();
    }

    @Override
    public boolean canaryPresent(IpFamily family) throws IptException {
      return kernel.canaryPresent(family);
    }

    @Override
    public void cleanup() throws IptException {
      kernel.cleanup();
    }
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

  /** The service ports the kit left out of {@code family}'s last sync, each with the reason. */
  @Override
  public ImmutableSortedMap<ServicePortKey, String> skipped(IpFamily family) {
    return kit.skipped(family);
  }
}
