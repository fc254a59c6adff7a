package dev.kubeproxy.jmh;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.nftables.NftCompiler;
import dev.kubeproxy.nftables.NftRenderer;
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

/** nftables full compile + render: the whole table as {@code nft -f} text (first and full syncs). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class NftFullBenchmark {
  @Param({"S", "M", "W", "L"})
  public Workload.Shape shape;

  private final NftCompiler compiler = new NftCompiler();
  private final NftRenderer renderer = new NftRenderer();
  private ForwardingTable table;

  @Setup(Level.Trial)
  public void load() {
    table = LoadedModel.load(Workload.of(shape)).table();
  }

  @Benchmark
  public String compileAndRender() {
    return renderer.render(compiler.full(table).transaction());
  }
}
