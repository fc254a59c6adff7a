package dev.kubeproxy.jmh;

import dev.kubeproxy.bin.manifest.ManifestSnapshot;
import dev.kubeproxy.bin.manifest.ManifestSource;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Manifest load of a workload written as the binary's YAML manifests, once per fresh JVM with
 * the launcher's options: the cold-start share of reading {@code --manifests}. Each fork also
 * prints the JVM's CPU time over the load (JIT and GC threads included), the figure to compare
 * on a shared machine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 5, jvmArgsAppend = {"-XX:MaxRAM=1280m", "-XX:+UseSerialGC",
    "-XX:MaxRAMPercentage=30", "-XX:MaxNewSize=24m", "-XX:-ShrinkHeapInSteps", "-Xss512k",
    "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=32m"})
public class ManifestLoadBenchmark {
  @Param({"M"})
  public Workload.Shape shape;

  private Path dir;
  private long cpuBefore;

  @Setup(Level.Trial)
  public void write() throws IOException {
    // -Dkpj.manifests=DIR keeps the manifests there (e.g. to profile the binary on them).
    String keep = System.getProperty("kpj.manifests");
    dir = keep == null ? Files.createTempDirectory("kpj-manifests-")
        : Files.createDirectories(Path.of(keep));
    WorkloadManifests.write(Workload.of(shape), dir);
    cpuBefore = processCpuNanos();
  }

  @Benchmark
  public ManifestSnapshot load() {
    ManifestSnapshot snapshot = new ManifestSource(dir, "node-0").load();
    if (!snapshot.problems().isEmpty() || snapshot.services().size() != shape.services) {
      throw new IllegalStateException("manifests of " + shape + " did not load cleanly: "
          + snapshot.problems().size() + " problems, " + snapshot.services().size() + " services");
    }
    return snapshot;
  }

  @TearDown(Level.Trial)
  public void report() throws IOException {
    System.out.printf("%nprocess CPU over the load: %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(processCpuNanos() - cpuBefore));
    if (System.getProperty("kpj.manifests") != null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }
}
