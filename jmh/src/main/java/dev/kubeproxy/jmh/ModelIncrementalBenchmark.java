package dev.kubeproxy.jmh;

import dev.kubeproxy.model.TableUpdate;
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
 * Model incremental: one endpoint of one service changes; the event goes through
 * {@code ChangeTracker.upsertEndpointSlice}, {@code drain} and {@code TableBuilder.update}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ModelIncrementalBenchmark {
  @Param({"S", "M", "L"})
  public Workload.Shape shape;

  private LoadedModel model;
  private OneEndpointChanges changes;

  @Setup(Level.Trial)
  public void load() {
    Workload workload = Workload.of(shape);
    model = LoadedModel.load(workload);
    changes = OneEndpointChanges.of(workload, 512);
  }

  @Benchmark
  public TableUpdate oneEndpointChanged() {
    return model.apply(changes.next());
  }
}
