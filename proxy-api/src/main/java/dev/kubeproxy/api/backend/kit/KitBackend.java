package dev.kubeproxy.api.backend.kit;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * What every backend shares (DESIGN §6): per IP family the state it committed, so partial
 * syncs never read the kernel; a kernel read only before a full compile; all families applied
 * together; on any failure everything is forgotten and the next sync is full; and a render of
 * the same compile for {@code --dry-run}. A backend supplies only its {@link BackendCompiler}
 * and {@link BackendKernel}, and either extends this class (naming its mode and parts in the
 * constructor) or wraps it when it adds to a sync (statistics, canaries).
 */
public class KitBackend<S, T extends KernelTransaction, X> implements Backend {
  private final String mode;
  private final BackendCompiler<S, T, X> compiler;
  private final BackendKernel<T, X> kernel;
  private final LongSupplier nanoClock;
  private final Map<IpFamily, S> committed = new EnumMap<>(IpFamily.class);

  public KitBackend(
      String mode, BackendCompiler<S, T, X> compiler, BackendKernel<T, X> kernel,
      LongSupplier nanoClock) {
    this.mode = Objects.requireNonNull(mode);
    this.compiler = Objects.requireNonNull(compiler);
    this.kernel = Objects.requireNonNull(kernel);
    this.nanoClock = Objects.requireNonNull(nanoClock);
  }

  @Override
  public String mode() {
    return mode;
  }

  @Override
  public SyncResult sync(SyncRequest request) throws SyncException {
    Map<IpFamily, S> next = new EnumMap<>(IpFamily.class);
    Map<IpFamily, T> transactions;
    try {
      transactions = compile(request, next, true);
    } catch (KernelException | RuntimeException e) {
      committed.clear();
      throw new SyncException(
          "cannot compile " + mode + " rules: " + e.getMessage(), e);
    }
    int operations = 0;
    for (T t : transactions.values()) {
      operations += t.size();
    }
    long bytes = 0;
    if (operations > 0) {
      try {
        bytes = kernel.apply(transactions);
      } catch (KernelException | RuntimeException e) {
        committed.clear();
        throw new SyncException(e.getMessage(), e);
      }
    }
    committed.putAll(next);
    return new SyncResult(operations, (int) Math.min(Integer.MAX_VALUE, bytes));
  }

  @Override
  public String render(SyncRequest request) throws SyncException {
    try {
      return compiler.render(compile(request, new EnumMap<>(IpFamily.class), false));
    } catch (KernelException | RuntimeException e) {
      throw new SyncException("cannot compile " + mode + " rules: " + e.getMessage(), e);
    }
  }

  /** Compiles every family of {@code request}, putting the states it leads to in {@code next}. */
  private Map<IpFamily, T> compile(
      SyncRequest request, Map<IpFamily, S> next, boolean readKernel) throws KernelException {
    long now = nanoClock.getAsLong();
    Map<IpFamily, T> transactions = new EnumMap<>(IpFamily.class);
    for (TableChange change : request.changes()) {
      S before = committed.get(change.family());
      X existing = readKernel && compiler.compilesFully(change, request.full(), before)
          ? kernel.read(change.family())
          : compiler.nothingInstalled(change.family());
      BackendCompiler.Compiled<S, T> compiled =
          compiler.compile(change, request.full(), before, existing, now);
      transactions.put(change.family(), compiled.transaction());
      next.put(change.family(), compiled.state());
    }
    return transactions;
  }

  @Override
  public void cleanup() throws SyncException {
    committed.clear();
    try {
      kernel.cleanup();
    } catch (KernelException e) {
      throw new SyncException(e.getMessage(), e);
    }
  }

  /**
   * Forgets what was committed for {@code family}, so its next sync is full: for when the
   * backend learns that someone else changed its rules (a firewall reload flushed them).
   */
  public void forget(IpFamily family) {
    committed.remove(family);
  }

  /** What was committed for {@code family}, or null when its next sync will be full. */
  public S committed(IpFamily family) {
    return committed.get(family);
  }
}
