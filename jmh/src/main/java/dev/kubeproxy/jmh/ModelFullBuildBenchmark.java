package dev.kubeproxy.jmh;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableBuilder;
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

/** Model full build: the whole IPv4 table from a snapshot (start-up and periodic full syncs). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ModelFullBuildBenchmark {
  @Param({"S", "M", "W", "L"})
  public Workload.Shape shape;

  private ClusterSnapshot snapshot;
  private ProxyConfig config;

  @Setup(Level.Trial)
  public void load() {
    LoadedModel model = LoadedModel.load(Workload.of(shape));
    snapshot = model.snapshot();
    config = LoadedModel.config();
  }

  @Benchmark
  public ForwardingTable build() {
    return TableBuilder.build(IpFamily.V4, snapshot, config);
  }
}
