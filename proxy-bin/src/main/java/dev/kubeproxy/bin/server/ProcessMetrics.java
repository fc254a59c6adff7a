package dev.kubeproxy.bin.server;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The standard {@code process_*} metrics every Prometheus client exports (CPU seconds, resident
 * and virtual memory, start time, open and maximum file descriptors), read from {@code /proc}
 * when scraped, and the JVM's heap and thread counts ({@code jvm_memory_used_bytes},
 * {@code jvm_threads_current}). A value that cannot be read (not Linux) is left out.
 */
final class ProcessMetrics {
  private static final Path STAT = Path.of("/proc/self/stat");
  private static final long CLOCK_TICKS = 100;
  private static final long PAGE_SIZE = 4096;

  private ProcessMetrics() {}

  static void register(PrometheusRegistry registry) {
    CounterWithCallback.builder().name("process_cpu_seconds_total")
        .help("Total user and system CPU time spent in seconds.")
        .callback(cb -> stat().ifPresent(f -> cb.call(
            (Long.parseLong(f.get(13)) + Long.parseLong(f.get(14))) / (double) CLOCK_TICKS)))
        .register(registry);
    GaugeWithCallback.builder().name("process_resident_memory_bytes")
        .help("Resident memory size in bytes.")
        .callback(cb -> stat().ifPresent(f -> cb.call(Long.parseLong(f.get(23)) * (double) PAGE_SIZE)))
        .register(registry);
    GaugeWithCallback.builder().name("process_virtual_memory_bytes")
        .help("Virtual memory size in bytes.")
        .callback(cb -> stat().ifPresent(f -> cb.call(Long.parseLong(f.get(22)))))
        .register(registry);
    GaugeWithCallback.builder().name("process_start_time_seconds")
        .help("Start time of the process since unix epoch in seconds.")
        .callback(cb -> cb.call(ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0))
        .register(registry);
    GaugeWithCallback.builder().name("process_open_fds")
        .help("Number of open file descriptors.")
        .callback(cb -> {
          try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            cb.call(fds.count());
          } catch (IOException | RuntimeException e) {
            // Not Linux: no value.
          }
        })
        .register(registry);
    GaugeWithCallback.builder().name("process_max_fds")
        .help("Maximum number of open file descriptors.")
        .callback(cb -> maxFds().ifPresent(cb::call))
        .register(registry);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    GaugeWithCallback.builder().name("jvm_memory_used_bytes")
        .help("Used bytes of a given JVM memory area.")
        .labelNames("area")
        .callback(cb -> {
          cb.call(memory.getHeapMemoryUsage().getUsed(), "heap");
          cb.call(memory.getNonHeapMemoryUsage().getUsed(), "nonheap");
        })
        .register(registry);
    GaugeWithCallback.builder().name("jvm_threads_current")
        .help("Current thread count of a JVM")
        .callback(cb -> cb.call(ManagementFactory.getThreadMXBean().getThreadCount()))
        .register(registry);
  }

  /** The fields of /proc/self/stat after the command name (field 3 is index 0 + 2). */
  private static java.util.Optional<List<String>> stat() {
    try {
      String text = Files.readString(STAT);
      // The command name is in parentheses and may hold spaces: split after it.
      String rest = text.substring(text.lastIndexOf(')') + 2);
      List<String> fields = new java.util.ArrayList<>(List.of("pid", "comm"));
      fields.addAll(List.of(rest.split(" ")));
      return java.util.Optional.of(fields);
    } catch (IOException | RuntimeException e) {
      return java.util.Optional.empty();
    }
  }

  private static java.util.Optional<Double> maxFds() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] parts = line.substring("Max open files".length()).trim().split("\\s+");
          return java.util.Optional.of(Double.parseDouble(parts[0]));
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: no value.
    }
    return java.util.Optional.empty();
  }
}
