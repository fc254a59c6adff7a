package dev.kubeproxy.jmh;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.nftables.FakeNftKernel;
import dev.kubeproxy.nftables.NftablesBackend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The nftables backend's partial sync against the in-memory kernel: compile plus the fake
 * kernel's checked apply, i.e. everything of a one-endpoint change except forking {@code nft}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class NftFakeKernelSyncBenchmark {
  @Param({"S", "M", "L"})
  public Workload.Shape shape;

  private NftablesBackend backend;
  private ImmutableList<TableChange> changes;
  private int next;

  @Setup(Level.Trial)
  public void load() throws SyncException {
    Workload workload = Workload.of(shape);
    LoadedModel model = LoadedModel.load(workload);
    backend = new NftablesBackend(new FakeNftKernel());
    backend.sync(SyncRequest.full(TableChange.initial(model.table())));
    changes = model.record(OneEndpointChanges.of(workload, 512));
  }

  @Benchmark
  public SyncResult partialSync() throws SyncException {
    SyncResult result = backend.sync(SyncRequest.partial(changes.get(next)));
    next = (next + 1) % changes.size();
    return result;
  }
}
