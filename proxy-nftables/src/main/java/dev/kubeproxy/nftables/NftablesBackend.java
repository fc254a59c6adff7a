package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The nftables backend: compiles each family's change ({@link NftCompiler}), applies all
 * families in one atomic transaction through an {@link NftKernel} (real or fake), and remembers
 * what it committed so the next partial sync needs no kernel listing. A failure leaves the
 * kernel as it was and makes the backend forget, so the next sync is full.
 */
public final class NftablesBackend implements Backend {
  private final NftKernel kernel;
  private final LongSupplier nanoClock;
  private final NftCompiler compiler = new NftCompiler();
  private final Map<IpFamily, NftState> committed = new EnumMap<>(IpFamily.class);

  /** A backend on {@code kernel} using the system clock for stale-chain delays. */
  public NftablesBackend(NftKernel kernel) {
    this(kernel, System::nanoTime);
  }

  public NftablesBackend(NftKernel kernel, LongSupplier nanoClock) {
    this.kernel = Objects.requireNonNull(kernel);
    this.nanoClock = Objects.requireNonNull(nanoClock);
  }

  @Override
  public String mode() {
    return "nftables";
  }

  @Override
  public SyncResult sync(SyncRequest request) throws SyncException {
    long now = nanoClock.getAsLong();
    List<NftOp> ops = new ArrayList<>();
    Map<IpFamily, NftState> next = new EnumMap<>(IpFamily.class);
    try {
      for (TableChange change : request.changes()) {
        NftState before = committed.get(change.family());
        // Only a full sync reads the kernel, to replace what it holds in place.
        ExistingObjects existing = compiler.needsFull(change, request.full(), before)
            ? kernel.objects(NftTable.kubeProxy(change.family()))
            : ExistingObjects.ABSENT;
        NftCompiler.Result result =
            compiler.compile(change, request.full(), before, existing, now);
        ops.addAll(result.transaction().ops());
        next.put(change.family(), result.state());
      }
    } catch (IllegalArgumentException e) {
      committed.clear();
      throw new SyncException("cannot compile nftables rules: " + e.getMessage(), e);
    } catch (NftException e) {
      committed.clear();
      throw new SyncException(e.getMessage(), e);
    }
    long bytes = 0;
    if (!ops.isEmpty()) {
      try {
        bytes = kernel.apply(NftTransaction.of(ops));
      } catch (NftException e) {
        committed.clear();
        throw new SyncException(e.getMessage(), e);
      }
    }
    committed.putAll(next);
    return new SyncResult(ops.size(), (int) Math.min(Integer.MAX_VALUE, bytes));
  }

  /** Deletes both families' tables; absent tables are fine ({@code add} before {@code delete}). */
  @Override
  public void cleanup() throws SyncException {
    List<NftOp> ops = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      NftTable table = NftTable.kubeProxy(family);
      ops.add(new NftOp.AddTable(table, null));
      ops.add(new NftOp.DeleteTable(table));
    }
    committed.clear();
    try {
      kernel.apply(new NftTransaction(ImmutableList.copyOf(ops)));
    } catch (NftException e) {
      throw new SyncException(e.getMessage(), e);
    }
  }

  /** What was committed for {@code family}, or null when the next sync will be full. */
  public NftState committed(IpFamily family) {
    return committed.get(family);
  }
}
