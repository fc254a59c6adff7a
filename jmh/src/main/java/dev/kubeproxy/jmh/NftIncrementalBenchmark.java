package dev.kubeproxy.jmh;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.BackendCompiler;
import dev.kubeproxy.nftables.NftCompiler;
import dev.kubeproxy.nftables.NftRenderer;
import dev.kubeproxy.nftables.NftState;
import dev.kubeproxy.nftables.NftTransaction;
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
 * nftables incremental compile + render: one endpoint of one service changed, compiled against
 * the committed state (no kernel listing) and printed as {@code nft -f} text. The table changes
 * are recorded from the model beforehand, so only the backend's work is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class NftIncrementalBenchmark {
  @Param({"S", "M", "L"})
  public Workload.Shape shape;

  private final NftCompiler compiler = new NftCompiler();
  private final NftRenderer renderer = new NftRenderer();
  private ImmutableList<TableChange> changes;
  private NftState committed;
  private int next;

  @Setup(Level.Trial)
  public void load() {
    Workload workload = Workload.of(shape);
    LoadedModel model = LoadedModel.load(workload);
    committed = compiler.full(model.table()).state();
    changes = model.record(OneEndpointChanges.of(workload, 512));
  }

  @Benchmark
  public String compileAndRender() {
    BackendCompiler.Compiled<NftState, NftTransaction> result =
        compiler.compile(changes.get(next), false, committed, System.nanoTime());
    committed = result.state();
    next = (next + 1) % changes.size();
    return renderer.render(result.transaction());
  }
}
