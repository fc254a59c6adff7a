package dev.kubeproxy.jmh;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import dev.kubeproxy.nftables.NftablesBackend;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The binary as a fresh process (issue 13, parts 3 and 4), each run inside a network namespace
 * it creates and always deletes. {@code --cold-start}: {@code kube-proxy-java --proxy-mode
 * nftables --manifests <shape> --once} from exec to exit (rules committed), wall and CPU time
 * of the JVM and of the tools it ran, per JVM option set, interleaved, beside a bare {@code nft
 * -f} of the same text. {@code --footprint}: the binary in its sync loop on the shape, one
 * process per option set side by side, VmRSS and utime+stime from {@code /proc} over an idle
 * window after the first sync.
 */
final class BinaryBenchmark {
  private static final Duration FIRST_SYNC_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration SETTLE = Duration.ofSeconds(20);
  private static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);
  private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

  /** What to run. */
  record Options(Workload.Shape shape, Path jar, List<String> jvmOptionSets, int runs,
      int idleSeconds) {
    Options {
      Preconditions.checkArgument(Files.isRegularFile(jar), "no binary jar %s (./mvnw package"
          + " -pl proxy-bin -am -DskipTests)", jar);
      Preconditions.checkArgument(!jvmOptionSets.isEmpty(), "no JVM option set");
      Preconditions.checkArgument(runs > 0 && idleSeconds > 0, "runs %s, idle %s s", runs,
          idleSeconds);
      jvmOptionSets = ImmutableList.copyOf(jvmOptionSets);
    }
  }

  /** One line of {@code cputime.c}: a process's times, its children's CPU, its peak RSS. */
  record CpuLine(String command, String firstArg, long startNs, long endNs, double userMs,
      double sysMs, double childUserMs, double childSysMs, long maxRssKib, double parentUserMs,
      double parentSysMs, double parentChildrenMs, long parentHwmKib) {
    static CpuLine parse(String line) {
      Map<String, String> fields = new LinkedHashMap<>();
      for (String field : line.strip().split(" ")) {
        int eq = field.indexOf('=');
        if (eq > 0) {
          fields.put(field.substring(0, eq), field.substring(eq + 1));
        }
      }
      Preconditions.checkArgument(line.startsWith("cputime ") && fields.size() == 13,
          "not a cputime line: %s", line);
      return new CpuLine(fields.get("cmd"), fields.get("arg"),
          Long.parseLong(fields.get("start_ns")), Long.parseLong(fields.get("end_ns")),
          Double.parseDouble(fields.get("user_ms")), Double.parseDouble(fields.get("sys_ms")),
          Double.parseDouble(fields.get("children_user_ms")),
          Double.parseDouble(fields.get("children_sys_ms")),
          Long.parseLong(fields.get("maxrss_kib")),
          Double.parseDouble(fields.get("parent_user_ms")),
          Double.parseDouble(fields.get("parent_sys_ms")),
          Double.parseDouble(fields.get("parent_children_ms")),
          Long.parseLong(fields.get("parent_hwm_kib")));
    }

    double cpuMs() {
      return userMs + sysMs + childUserMs + childSysMs;
    }

    double ownCpuMs() {
      return userMs + sysMs;
    }

    double childCpuMs() {
      return childUserMs + childSysMs;
    }
  }

  /**
   * One cold start, from exec to the exit of the full-sync {@code nft -f} (rules committed): wall
   * time, the JVM's own CPU and peak RSS then, the CPU of every {@code nft} run until then, of
   * the other tools it ran before (leftover checks), and the full sync's {@code nft} peak RSS.
   */
  record ColdStart(double commitMs, double javaCpuMs, double nftCpuMs, double otherToolsCpuMs,
      long javaHwmKib, long nftMaxRssKib) {
    static ColdStart of(List<CpuLine> lines) {
      CpuLine process = lines.stream().filter(l -> l.command().equals("java")).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no java line: " + lines));
      CpuLine commit = lines.stream().filter(ColdStart::isFullSync).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no nft -f line: " + lines));
      double nftBefore = lines.stream()
          .filter(l -> l.command().equals("nft") && l.endNs() < commit.endNs())
          .mapToDouble(CpuLine::cpuMs).sum();
      // The JVM's reaped children at the commit, less the nft runs counted already.
      double otherTools = Math.max(0, commit.parentChildrenMs() - nftBefore);
      return new ColdStart((commit.endNs() - process.startNs()) / 1e6,
          commit.parentUserMs() + commit.parentSysMs(), nftBefore + commit.cpuMs(), otherTools,
          commit.parentHwmKib(), commit.maxRssKib());
    }

    static boolean isFullSync(CpuLine line) {
      return line.command().equals("nft") && line.firstArg().equals("-f");
    }
  }

  private final CommandRunner host = new ProcessCommandRunner();
  private final Options options;

  BinaryBenchmark(Options options) {
    this.options = options;
  }

  /** The cold-start report (markdown). */
  String coldStart() throws Exception {
    Path work = Files.createTempDirectory("kpj-binary-bench");
    try {
      Path manifests = manifests(work);
      Path cputime = compile(work);
      Path wrappers = nftWrapper(work, cputime);
      byte[] text = fullText();
      Path textFile = work.resolve("full.nft");
      Files.write(textFile, text);
      Map<String, List<ColdStart>> byOptions = new LinkedHashMap<>();
      List<CpuLine> bare = new ArrayList<>();
      for (int round = 0; round < options.runs(); round++) {
        for (String jvm : options.jvmOptionSets()) {
          quiesce();
          ColdStart t = onceInFreshNamespace(work, cputime, wrappers, jvm, manifests);
          byOptions.computeIfAbsent(jvm, k -> new ArrayList<>()).add(t);
          log("cold start [%s] round %d: %s", jvm, round + 1, t);
        }
        quiesce();
        CpuLine t = bareInFreshNamespace(work, cputime, textFile);
        bare.add(t);
        log("bare nft -f round %d: wall %.0f ms, cpu %.0f ms", round + 1,
            (t.endNs() - t.startNs()) / 1e6, t.cpuMs());
      }
      StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
          "Cold start at %s (%d services x %d endpoints), nft text %.1f MiB, medians of %d"
              + " runs: exec to the exit of the full-sync `nft -f` (rules committed); CPU ="
              + " user+sys from /proc (ms):%n%n| JVM options | **committed, wall** | java CPU |"
              + " nft CPU | other tools CPU | java+tools CPU | java peak RSS (MiB) | nft peak RSS"
              + " (MiB) |%n|---|---|---|---|---|---|---|---|%n",
          options.shape(), options.shape().services, options.shape().endpointsPerService,
          text.length / 1048576.0, options.runs()));
      byOptions.forEach((jvm, runs) -> md.append(String.format(Locale.ROOT,
          "| `%s` | **%.0f** | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |%n",
          jvm.isBlank() ? "(none)" : jvm, median(runs, ColdStart::commitMs),
          median(runs, ColdStart::javaCpuMs), median(runs, ColdStart::nftCpuMs),
          median(runs, ColdStart::otherToolsCpuMs),
          median(runs, t -> t.javaCpuMs() + t.nftCpuMs() + t.otherToolsCpuMs()),
          median(runs, ColdStart::javaHwmKib) / 1024, median(runs, ColdStart::nftMaxRssKib) / 1024)));
      md.append(String.format(Locale.ROOT, "| bare `nft -f FILE` of the same text | %.0f | – |"
              + " %.0f | – | %.0f | – | %.0f |%n", median(bare, l -> (l.endNs() - l.startNs()) / 1e6),
          median(bare, CpuLine::cpuMs), median(bare, CpuLine::cpuMs),
          median(bare, CpuLine::maxRssKib) / 1024));
      return md.toString();
    } finally {
      deleteTree(work);
    }
  }

  /** The footprint report (markdown): every option set's process runs side by side. */
  String footprint() throws Exception {
    Path work = Files.createTempDirectory("kpj-binary-bench");
    List<BenchNamespace> namespaces = new ArrayList<>();
    List<Process> processes = new ArrayList<>();
    try {
      Path manifests = manifests(work);
      List<Long> firstSyncMs = new ArrayList<>();
      for (String jvm : options.jvmOptionSets()) {
        BenchNamespace namespace = BenchNamespace.create(host);
        namespaces.add(namespace);
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace.name()));
        command.addAll(javaCommand(jvm));
        command.addAll(List.of("--proxy-mode", "nftables", "--manifests", manifests.toString(),
            "--hostname-override", Workload.NODE, "--cluster-cidr", "10.64.0.0/16",
            "--metrics-bind-address", "127.0.0.1:10249", "--healthz-bind-address",
            "127.0.0.1:10256", "--conntrack-max-per-core", "0", "--oom-score-adj", "0"));
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command)
            .redirectOutput(work.resolve("out-" + processes.size() + ".log").toFile())
            .redirectErrorStream(true)
            .start();
        processes.add(process);
        awaitTable(namespace, process);
        firstSyncMs.add((System.nanoTime() - start) / 1_000_000);
        log("footprint [%s]: rules in the kernel after %d ms, pid %d", jvm,
            firstSyncMs.get(firstSyncMs.size() - 1), process.pid());
      }
      Thread.sleep(SETTLE.toMillis());
      int n = processes.size();
      long[] cpuBefore = new long[n];
      long[] childBefore = new long[n];
      List<List<Long>> rss = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long[] stat = stat(processes.get(i).pid());
        cpuBefore[i] = stat[0] + stat[1];
        childBefore[i] = stat[2] + stat[3];
        rss.add(new ArrayList<>());
      }
      long windowStart = System.nanoTime();
      long windowEnd = windowStart + TimeUnit.SECONDS.toNanos(options.idleSeconds());
      while (System.nanoTime() < windowEnd) {
        for (int i = 0; i < n; i++) {
          Preconditions.checkState(processes.get(i).isAlive(), "[%s] exited: see its log",
              options.jvmOptionSets().get(i));
          rss.get(i).add(status(processes.get(i).pid(), "VmRSS"));
        }
        Thread.sleep(Math.min(SAMPLE_EVERY.toMillis(),
            Math.max(1, (windowEnd - System.nanoTime()) / 1_000_000)));
      }
      double windowSeconds = (System.nanoTime() - windowStart) / 1e9;
      StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
          "Footprint at %s, the binary in its sync loop (`--manifests`, nftables), idle window"
              + " %.0f s after the first sync + %d s:%n%n| JVM options | first sync (ms, side"
              + " by side) | VmRSS steady median / max (MiB) | VmHWM peak (MiB) | idle CPU java"
              + " (%% of one core) | tools it ran in the window (CPU ms) |%n"
              + "|---|---|---|---|---|---|%n",
          options.shape(), windowSeconds, SETTLE.toSeconds()));
      for (int i = 0; i < n; i++) {
        long pid = processes.get(i).pid();
        long[] stat = stat(pid);
        double cpuSeconds = (stat[0] + stat[1] - cpuBefore[i]) / (double) TICKS_PER_SECOND;
        double childMs = (stat[2] + stat[3] - childBefore[i]) * 1000.0 / TICKS_PER_SECOND;
        List<Long> samples = rss.get(i).stream().sorted().toList();
        String jvm = options.jvmOptionSets().get(i);
        md.append(String.format(Locale.ROOT, "| `%s` | %d | %.0f / %.0f | %.0f | %.2f | %.0f |%n",
            jvm.isBlank() ? "(none)" : jvm, firstSyncMs.get(i),
            samples.get(samples.size() / 2) / 1024.0, samples.get(samples.size() - 1) / 1024.0,
            status(pid, "VmHWM") / 1024.0, 100 * cpuSeconds / windowSeconds, childMs));
      }
      return md.toString();
    } finally {
      for (Process process : processes) {
        stop(process);
      }
      for (BenchNamespace namespace : namespaces) {
        namespace.close();
      }
      deleteTree(work);
    }
  }

  /**
   * Waits (at most 30 s) until this JVM uses under 2 % of a core over half a second, after a
   * collection: its JIT and GC threads, still busy after building the workload, would otherwise
   * share the 2 cores with the process being measured (they took a cold start at M from ~7 to
   * ~12 s, and the binary's `nft` from 2.3 to 4.9 s of CPU).
   */
  private static void quiesce() throws InterruptedException {
    System.gc();
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      long before = os.getProcessCpuTime();
      Thread.sleep(500);
      if (os.getProcessCpuTime() - before < 10_000_000L) {
        return;
      }
    }
    log("the benchmark JVM is still busy after 30 s; measuring anyway");
  }

  private ColdStart onceInFreshNamespace(Path work, Path cputime, Path wrappers, String jvm,
      Path manifests) throws Exception {
    try (BenchNamespace namespace = BenchNamespace.create(host)) {
      List<String> command = new ArrayList<>(
          List.of("ip", "netns", "exec", namespace.name(), cputime.toString()));
      command.addAll(javaCommand(jvm));
      command.addAll(List.of("--proxy-mode", "nftables", "--manifests", manifests.toString(),
          "--hostname-override", Workload.NODE, "--once"));
      return ColdStart.of(runTimed(work, command, wrappers));
    }
  }

  private CpuLine bareInFreshNamespace(Path work, Path cputime, Path textFile)
      throws Exception {
    try (BenchNamespace namespace = BenchNamespace.create(host)) {
      return runTimed(work, List.of("ip", "netns", "exec", namespace.name(), cputime.toString(),
          "nft", "-f", textFile.toString()), null).get(0);
    }
  }

  /**
   * Runs {@code command} (which starts with {@code cputime}) with {@code wrappers} first on its
   * PATH; returns the {@code cputime} lines of the command and of every wrapped tool run.
   */
  private static List<CpuLine> runTimed(Path work, List<String> command, Path wrappers)
      throws Exception {
    Path log = work.resolve("cputime.log");
    Path output = work.resolve("output.log");
    Files.deleteIfExists(log);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(output.toFile())
        .redirectErrorStream(true);
    builder.environment().put("CPUTIME_LOG", log.toString());
    if (wrappers != null) {
      builder.environment().merge("PATH", wrappers.toString(), (path, w) -> w + ":" + path);
    }
    Process process = builder.start();
    long deadline = System.nanoTime() + FIRST_SYNC_TIMEOUT.toNanos();
    boolean committed = false;
    while (process.isAlive() && System.nanoTime() < deadline && !committed) {
      process.waitFor(50, TimeUnit.MILLISECONDS);
      committed = wrappers != null && Files.exists(log)
          && Files.readAllLines(log).stream().map(CpuLine::parse).anyMatch(ColdStart::isFullSync);
    }
    if (committed) {
      // What --once does after the commit (stale-flow cleanup) is not part of the cold start.
      stop(process);
    } else if (process.isAlive()) {
      stop(process);
      throw new IOException("timed out: " + String.join(" ", command));
    } else if (process.exitValue() != 0) {
      throw new IOException("exit " + process.exitValue() + ": "
          + tail(Files.readString(output, StandardCharsets.UTF_8)));
    }
    return Files.readAllLines(log).stream().map(CpuLine::parse).toList();
  }

  /** A directory with an {@code nft} that runs the real one under {@code cputime --parent}. */
  private Path nftWrapper(Path work, Path cputime) throws IOException, CommandException {
    String nft = host.run(Command.of("sh", "-c", "command -v nft")).stdout().strip();
    Preconditions.checkState(nft.startsWith("/"), "nft is not on the PATH");
    Path dir = Files.createDirectories(work.resolve("wrappers"));
    Path wrapper = dir.resolve("nft");
    Files.writeString(wrapper, "#!/bin/sh\nexec " + cputime + " --parent " + nft + " \"$@\"\n");
    wrapper.toFile().setExecutable(true);
    return dir;
  }

  private List<String> javaCommand(String jvm) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> tokens = jvm.isBlank() ? List.of() : Arrays.asList(jvm.strip().split("\\s+"));
    command.addAll(tokens);
    if (!tokens.contains("-jar")) {
      // An option set ending in "-jar OTHER.jar" runs another build (before/after in one run).
      command.addAll(List.of("-jar", options.jar().toString()));
    }
    return command;
  }

  /** Waits until the kube-proxy table is in the namespace (the first full sync committed). */
  private void awaitTable(BenchNamespace namespace, Process process) throws Exception {
    long deadline = System.nanoTime() + FIRST_SYNC_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Preconditions.checkState(process.isAlive(), "the binary exited with %s before its first"
          + " sync", process.isAlive() ? -1 : process.exitValue());
      try {
        String tables = namespace.runner()
            .run(Command.of("nft", "list", "tables").withTimeout(Duration.ofSeconds(20))).stdout();
        if (tables.contains("kube-proxy")) {
          return;
        }
      } catch (CommandException e) {
        // A listing can wait behind the binary's own multi-second commit; ask again.
        log("nft list tables: %s", e.getMessage());
      }
      Thread.sleep(200);
    }
    throw new IOException("no first sync within " + FIRST_SYNC_TIMEOUT);
  }

  private Path manifests(Path work) throws IOException {
    Path dir = Files.createDirectories(work.resolve("manifests"));
    int files = WorkloadManifests.write(Workload.of(options.shape()), dir);
    log("%s manifests: %d files in %s", options.shape(), files, dir);
    return dir;
  }

  /** The full-sync text the binary sends, rendered in-process by the same backend. */
  private byte[] fullText() throws Exception {
    LoadedModel model = LoadedModel.load(Workload.of(options.shape()));
    DiscardingNftKernel kernel = new DiscardingNftKernel();
    new NftablesBackend(kernel).sync(SyncRequest.full(TableChange.initial(model.table())));
    return kernel.lastText();
  }

  private Path compile(Path work) throws IOException, CommandException {
    Path source = work.resolve("cputime.c");
    try (InputStream in = BinaryBenchmark.class.getResourceAsStream("/footprint/cputime.c")) {
      Preconditions.checkState(in != null, "cputime.c is not on the classpath");
      Files.copy(in, source);
    }
    Path binary = work.resolve("cputime");
    host.run(Command.of("gcc", "-O2", "-o", binary.toString(), source.toString()));
    return binary;
  }

  /** utime, stime, cutime, cstime of {@code pid}, in clock ticks. */
  private static long[] stat(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // fields[0] is field 3 (state); utime is field 14.
    return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12]),
        Long.parseLong(fields[13]), Long.parseLong(fields[14])};
  }

  /** A {@code /proc/PID/status} field in KiB. */
  private static long status(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no " + field + " in /proc/" + pid + "/status");
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static <T> double median(List<T> runs, java.util.function.ToDoubleFunction<T> f) {
    double[] values = runs.stream().mapToDouble(f).sorted().toArray();
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  private static String tail(String text) {
    return text.length() <= 2000 ? text : text.substring(text.length() - 2000);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, format + "%n", args);
  }
}
