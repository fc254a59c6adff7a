package dev.kubeproxy.jmh;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import dev.kubeproxy.nftables.NftTable;
import dev.kubeproxy.nftables.NftablesBackend;
import dev.kubeproxy.nftables.RealNftKernel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The kernel-apply benchmark of DESIGN §8 (issue 5). For each shape, inside a network namespace
 * it creates and always deletes: (a) the first full sync through {@link NftablesBackend} and
 * the real {@code nft}, beside a bare {@code nft -f} of the same text; (b) a one-endpoint change
 * from tracker event to kernel; (c) the bare {@code nft -f FILE} of the same change text,
 * captured from our backend; (d) upstream's approach, listing the whole table with {@code nft
 * -j list table} before each change; (e) heap and RSS with the shape loaded. Needs root.
 *
 * <p>Usage: {@code KernelBenchmark [--mode nftables] [--shapes S,M,W,L] [--runs N]
 * [--upstream-runs N] [--max-minutes M] [--out FILE.md] [--chart FILE.svg] [--save-dir DIR]}
 * ({@code --save-dir} keeps the full and change texts as {@code nft -f} files); {@code --mode
 * iptables} runs {@link IptablesKernelBenchmark} instead. With {@code --datapath} it runs the
 * {@link DataPathBenchmark} ({@code [--dp-services N] [--dp-groups G] [--dp-millis MS]
 * [--dp-rounds R] [--dp-perf]}; {@code --dp-perf} samples with {@code perf}). With {@code
 * --cold-start} or {@code --footprint} it runs the binary as a fresh process ({@link
 * BinaryBenchmark}: {@code [--shapes M] [--runs 3] [--jar JAR] [--jvm 'OPTIONS']...
 * [--idle-seconds 300]}).
 */
public final class KernelBenchmark {
  private static final int WARMUP_CHANGES = 50;
  private static final NftTable TABLE = NftTable.kubeProxy(IpFamily.V4);
  /**
   * The JVM options of the launcher ({@code proxy-bin/src/main/sh/kube-proxy-java}, which the
   * image and the DaemonSet run), the default option set of {@code --cold-start}/{@code
   * --footprint}; a test keeps the two equal.
   */
  static final String LAUNCHER_JVM = "--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC"
      + " -XX:MaxRAMPercentage=30 -Xms32m -XX:MinHeapFreeRatio=60 -XX:MaxHeapFreeRatio=80"
      + " -XX:MaxNewSize=24m -XX:-ShrinkHeapInSteps -Xss512k -XX:TieredStopAtLevel=1"
      + " -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=96m";

  private final CommandRunner host = new ProcessCommandRunner();
  private final List<String> groupChanges = new ArrayList<>();
  private final List<String> floorPairs = new ArrayList<>();
  private final Options options;
  private final long deadline;

  private KernelBenchmark(Options options) {
    this.options = options;
    this.deadline = System.nanoTime() + Duration.ofMinutes(options.maxMinutes).toNanos();
  }

  public static void main(String[] args) throws Exception {
    if (args.length >= 2 && args[0].equals("--mode")) {
      if (args[1].equals("iptables")) {
        IptablesKernelBenchmark.main(List.of(args).subList(2, args.length));
        return;
      }
      if (!args[1].equals("nftables")) {
        throw new IllegalArgumentException("--mode is nftables or iptables, not " + args[1]);
      }
      args = java.util.Arrays.copyOfRange(args, 2, args.length);
    }
    Options options = Options.parse(args);
    if (options.coldStart || options.footprint) {
      BinaryBenchmark binary = new BinaryBenchmark(new BinaryBenchmark.Options(
          options.shapesGiven ? options.shapes.get(0) : Workload.Shape.M, options.jar,
          options.jvm.isEmpty() ? List.of(LAUNCHER_JVM) : options.jvm,
          options.runsGiven ? options.runs : 3, options.idleSeconds));
      String report = "Arguments: `" + options.commandLine + "`; " + benchmark(options).machine()
          + ".\n\n" + (options.coldStart ? binary.coldStart() : binary.footprint());
      System.out.print(report);
      if (options.out != null) {
        Files.writeString(options.out, report, StandardCharsets.UTF_8);
      }
      return;
    }
    if (options.datapath) {
      DataPathBenchmark.Options dataPath = new DataPathBenchmark.Options(
          options.dpServices, options.dpGroups, options.dpMillis, options.dpRounds, options.dpPerf);
      String report = new DataPathBenchmark(new ProcessCommandRunner(), dataPath).run();
      report = "Arguments: `" + options.commandLine + "`.\n\n" + report;
      System.out.print(report);
      if (options.out != null) {
        Files.writeString(options.out, report, StandardCharsets.UTF_8);
      }
      return;
    }
    KernelBenchmark benchmark = benchmark(options);
    Samples floorBefore = benchmark.floor();
    List<ShapeResult> results = new ArrayList<>();
    for (Workload.Shape shape : options.shapes) {
      if (benchmark.outOfTime()) {
        System.err.println("time budget spent; skipping " + shape);
        continue;
      }
      try {
        results.add(benchmark.run(shape));
      } catch (SyncException | CommandException e) {
        System.err.println(shape + " failed: " + e.getMessage());
        results.add(benchmark.memoryOnly(shape, e.getMessage()));
      }
    }
    Samples floorAfter = benchmark.floor();
    String report = KernelReport.markdown(benchmark.machine(), options.commandLine, results)
        + benchmark.groupChangeReport() + benchmark.floorReport(floorBefore, floorAfter, results);
    System.out.print(report);
    if (options.out != null) {
      Files.writeString(options.out, report, StandardCharsets.UTF_8);
    }
    if (options.chart != null && results.stream().allMatch(r -> r.upstream() != null)) {
      Files.writeString(options.chart, LatencyChart.svg(results), StandardCharsets.UTF_8);
    }
  }

  /**
   * The floor of a one-service change (issue 13): {@code nft -f} adding or deleting one element
   * of a one-set table in a namespace of its own, alternated, as many runs as a shape's changes.
   */
  private Samples floor() throws Exception {
    try (BenchNamespace namespace = BenchNamespace.create(host)) {
      Path setup = Files.createTempFile("kpj-bench-floor", ".nft");
      try {
        Files.writeString(setup, "add table ip kpj-floor\n"
            + "add set ip kpj-floor s { type ipv4_addr . ipv4_addr ; }\n", StandardCharsets.UTF_8);
        namespace.runner().run(nftFile(setup));
      } finally {
        Files.deleteIfExists(setup);
      }
      String element = " element ip kpj-floor s { 10.250.0.1 . 10.250.0.1 }\n";
      Samples floor = new Samples(bareChanges(namespace,
          ("add" + element).getBytes(StandardCharsets.UTF_8),
          ("delete" + element).getBytes(StandardCharsets.UTF_8), even(options.runs)));
      log("floor: one element on a one-set table %s", summary(floor));
      return floor;
    }
  }

  /**
   * {@code forward} and {@code back} in turn in {@code namespace}, each followed by the floor's
   * one-element change in a namespace of its own: {@code [change nanos, floor nanos]}.
   */
  private long[][] pairedWithFloor(BenchNamespace namespace, byte[] forward, byte[] back, int runs)
      throws Exception {
    try (BenchNamespace floorNamespace = BenchNamespace.create(host)) {
      Path setup = Files.createTempFile("kpj-bench-floor", ".nft");
      Path[] files = {Files.createTempFile("kpj-bench-forward", ".nft"),
          Files.createTempFile("kpj-bench-back", ".nft"),
          Files.createTempFile("kpj-bench-floor-add", ".nft"),
          Files.createTempFile("kpj-bench-floor-del", ".nft")};
      try {
        Files.writeString(setup, "add table ip kpj-floor\n"
            + "add set ip kpj-floor s { type ipv4_addr . ipv4_addr ; }\n", StandardCharsets.UTF_8);
        floorNamespace.runner().run(nftFile(setup));
        String element = " element ip kpj-floor s { 10.250.0.1 . 10.250.0.1 }\n";
        Files.write(files[0], forward);
        Files.write(files[1], back);
        Files.writeString(files[2], "add" + element, StandardCharsets.UTF_8);
        Files.writeString(files[3], "delete" + element, StandardCharsets.UTF_8);
        long[][] out = new long[2][runs];
        for (int i = 0; i < runs; i++) {
          long start = System.nanoTime();
          namespace.runner().run(nftFile(files[i % 2]));
          long changed = System.nanoTime();
          floorNamespace.runner().run(nftFile(files[2 + i % 2]));
          out[0][i] = changed - start;
          out[1][i] = System.nanoTime() - changed;
        }
        return out;
      } finally {
        Files.deleteIfExists(setup);
        for (Path file : files) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** The floor before and after the shapes, and each shape's one change against it. */
  private String floorReport(Samples before, Samples after, List<ShapeResult> results) {
    double floor = (before.medianMs() + after.medianMs()) / 2;
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "\n### One change against"
        + " the floor (bare `nft -f` of one element on a one-set table, own namespace)\n\n"
        + "Floor median %.1f ms before the shapes, %.1f ms after (p90 %.1f / %.1f); ratios use"
        + " their mean, %.1f ms.\n\n| shape | ours median / floor | bare median / floor |\n"
        + "|---|---|---|\n", before.medianMs(), after.medianMs(), before.p90Ms(), after.p90Ms(),
        floor));
    double small = 0;
    double large = 0;
    for (ShapeResult r : results) {
      if (r.ours() == null || r.bare() == null) {
        continue;
      }
      out.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f |\n", r.shape(),
          r.ours().medianMs() / floor, r.bare().medianMs() / floor));
      small = r.shape() == Workload.Shape.S ? r.ours().medianMs() : small;
      large = r.shape() == Workload.Shape.L ? r.ours().medianMs() : large;
    }
    if (small > 0 && large > 0) {
      out.append(String.format(Locale.ROOT, "%ncost(L)/cost(S), ours medians: %.2f%n",
          large / small));
    }
    out.append("\nPaired: the shape's bare change and the floor alternated run by run (milliseconds,"
        + " medians)\n\n| shape | bare change | floor | **bare / floor** | ours / floor |\n"
        + "|---|---|---|---|---|\n").append(String.join("\n", floorPairs)).append("\n");
    return out.toString();
  }

  private static KernelBenchmark benchmark(Options options) {
    return new KernelBenchmark(options);
  }

  /** The (c2) table: bare {@code nft -f} of a service moving between two existing groups. */
  private String groupChangeReport() {
    if (groupChanges.isEmpty()) {
      return "";
    }
    return "\n### Group change, bare `nft -f` (one service moves between two existing"
        + " endpoint-count groups and back, milliseconds)\n\n| shape | median | p90 | change text"
        + " (bytes) |\n|---|---|---|---|\n" + String.join("\n", groupChanges) + "\n";
  }

  private boolean outOfTime() {
    return System.nanoTime() > deadline;
  }

  private ShapeResult run(Workload.Shape shape) throws Exception {
    log("%s: %d services x %d endpoints", shape, shape.services, shape.endpointsPerService);
    Workload workload = Workload.of(shape);
    OneEndpointChanges events = OneEndpointChanges.of(workload, 512);
    // A group change: service a leaves the largest group once; service b then moves between
    // the two groups and back, so both groups exist throughout.
    // Only where services have more than one endpoint.
    boolean groups = shape.endpointsPerService > 1;
    EndpointSlice aSmaller = groups ? workload.withLastEndpointRemoved(workload.plainClusterIp(0))
        : null;
    int b = groups ? workload.plainClusterIp(1) : -1;
    EndpointSlice bSmaller = groups ? workload.withLastEndpointRemoved(b) : null;
    EndpointSlice bOriginal = groups ? workload.slices().get(b) : null;
    try (BenchNamespace namespace = BenchNamespace.create(host)) {
      RecordingCommandRunner recorder = new RecordingCommandRunner(namespace.runner());
      NftablesBackend backend = new NftablesBackend(new RealNftKernel(recorder));

      // (a) first full sync, cold JVM as at start-up.
      long start = System.nanoTime();
      LoadedModel model = LoadedModel.load(workload);
      long loaded = System.nanoTime();
      backend.sync(SyncRequest.full(TableChange.initial(model.table())));
      long synced = System.nanoTime();
      double fullNftMs = recorder.lastNanos() / 1e6;
      byte[] fullText = recorder.last().stdin();
      workload = null; // only the model and the backend stay loaded for (e)
      log("%s: first full sync %.0f ms (nft %.0f ms)", shape, (synced - start) / 1e6, fullNftMs);

      // (e) memory with the shape loaded.
      long heap = heapAfterGc();
      long rss = rssBytes();

      double fullBareMs = bareFullLoad(namespace, fullText);
      log("%s: bare full load %.0f ms", shape, fullBareMs);

      for (int i = 0; i < WARMUP_CHANGES; i++) {
        oneChange(model, backend, events);
      }

      // (b) one-endpoint change, event to kernel. An even count keeps the ring at a pair start.
      int runs = even(options.runs);
      long[] ours = new long[runs];
      long[] oursNft = new long[runs];
      for (int i = 0; i < runs; i++) {
        recorder.reset();
        ours[i] = oneChange(model, backend, events);
        oursNft[i] = recorder.lastNanos();
      }
      log("%s: one change, ours %s", shape, summary(new Samples(ours)));

      // (c) capture the text of a change and of its inverse, then apply both by hand, in turn.
      oneChange(model, backend, events);
      byte[] forward = recorder.last().stdin();
      oneChange(model, backend, events);
      byte[] back = recorder.last().stdin();
      save(shape, "full", fullText);
      save(shape, "change-forward", forward);
      save(shape, "change-back", back);
      long[] bare = bareChanges(namespace, forward, back, runs);
      log("%s: one change, bare nft %s", shape, summary(new Samples(bare)));

      // (c1) the same change alternated with the floor's one-element change, so both see the
      // same machine load (the floor moves by 2x between runs on a shared machine).
      long[][] paired = pairedWithFloor(namespace, forward, back, runs);
      Samples pairedBare = new Samples(paired[0]);
      Samples pairedFloor = new Samples(paired[1]);
      floorPairs.add(String.format(Locale.ROOT, "| %s | %.1f | %.1f | **%.2f** | %.2f |", shape,
          pairedBare.medianMs(), pairedFloor.medianMs(),
          pairedBare.medianMs() / pairedFloor.medianMs(),
          new Samples(ours).medianMs() / pairedFloor.medianMs()));
      log("%s: paired, bare %s, floor %s", shape, summary(pairedBare), summary(pairedFloor));

      // (c2) the same for a service moving between two existing endpoint-count groups.
      if (groups) {
        backend.sync(SyncRequest.partial(model.applyAsChange(aSmaller)));
        save(shape, "group-setup", recorder.last().stdin());
        backend.sync(SyncRequest.partial(model.applyAsChange(bSmaller)));
        byte[] groupForward = recorder.last().stdin();
        backend.sync(SyncRequest.partial(model.applyAsChange(bOriginal)));
        byte[] groupBack = recorder.last().stdin();
        save(shape, "group-forward", groupForward);
        save(shape, "group-back", groupBack);
        Samples group = new Samples(bareChanges(namespace, groupForward, groupBack, runs));
        groupChanges.add(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %d |", shape,
            group.medianMs(), group.p90Ms(), groupForward.length));
        log("%s: group change, bare nft %s", shape, summary(group));
      }

      // (d) upstream's approach: list the whole table from the kernel before every change.
      Samples upstreamSamples = null;
      Samples upstreamListSamples = null;
      if (options.upstreamRuns > 0) {
        int upstreamRuns = outOfTime() ? 2 : even(options.upstreamRuns);
        long[] upstream = new long[upstreamRuns];
        long[] upstreamList = new long[upstreamRuns];
        Command list = Command.of("nft", "-j", "list", "table", "ip", TABLE.name());
        for (int i = 0; i < upstreamRuns; i++) {
          long before = System.nanoTime();
          namespace.runner().run(list);
          long listed = System.nanoTime();
          oneChange(model, backend, events);
          upstream[i] = System.nanoTime() - before;
          upstreamList[i] = listed - before;
        }
        upstreamSamples = new Samples(upstream);
        upstreamListSamples = new Samples(upstreamList);
        log("%s: one change, upstream approach %s", shape, summary(upstreamSamples));
      }

      return new ShapeResult(
          shape,
          null,
          fullText.length,
          (loaded - start) / 1e6,
          (synced - loaded) / 1e6,
          fullNftMs,
          fullBareMs,
          heap,
          rss,
          forward.length,
          new Samples(ours),
          new Samples(oursNft),
          new Samples(bare),
          upstreamSamples,
          upstreamListSamples);
    }
  }

  /**
   * When the real kernel cannot take a shape: the failure, plus heap and RSS with the shape
   * loaded into the model and a backend whose kernel discards the rendered text.
   */
  private ShapeResult memoryOnly(Workload.Shape shape, String failure) throws Exception {
    heapAfterGc();
    LoadedModel model = LoadedModel.load(Workload.of(shape));
    NftablesBackend backend = new NftablesBackend(new DiscardingNftKernel());
    long bytes = backend.sync(SyncRequest.full(TableChange.initial(model.table()))).payloadBytes();
    long heap = heapAfterGc();
    long rss = rssBytes();
    // Keep both reachable until measured.
    log("%s: memory only, %d service ports, %d bytes of nft text", shape, model.table().size(), bytes);
    return ShapeResult.failed(shape, failure, bytes, heap, rss);
  }

  /** One change from event to kernel: tracker, drain, builder update, partial backend sync. */
  private static long oneChange(
      LoadedModel model, NftablesBackend backend, OneEndpointChanges events) throws SyncException {
    long start = System.nanoTime();
    TableChange change = model.applyAsChange(events.next());
    backend.sync(SyncRequest.partial(change));
    return System.nanoTime() - start;
  }

  /** {@code nft -f FILE} of the full text into the namespace after its table was deleted. */
  private double bareFullLoad(BenchNamespace namespace, byte[] text) throws Exception {
    Path file = Files.createTempFile("kpj-bench-full", ".nft");
    try {
      Files.write(file, text);
      namespace.runner().run(Command.of("nft", "delete", "table", "ip", TABLE.name()));
      long start = System.nanoTime();
      namespace.runner().run(nftFile(file));
      return (System.nanoTime() - start) / 1e6;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Applies {@code forward} and {@code back} by hand in turn, {@code runs} times in all. */
  private long[] bareChanges(BenchNamespace namespace, byte[] forward, byte[] back, int runs)
      throws IOException, CommandException {
    Path forwardFile = Files.createTempFile("kpj-bench-forward", ".nft");
    Path backFile = Files.createTempFile("kpj-bench-back", ".nft");
    try {
      Files.write(forwardFile, forward);
      Files.write(backFile, back);
      long[] nanos = new long[runs];
      for (int i = 0; i < runs; i++) {
        Command command = nftFile(i % 2 == 0 ? forwardFile : backFile);
        long start = System.nanoTime();
        namespace.runner().run(command);
        nanos[i] = System.nanoTime() - start;
      }
      return nanos;
    } finally {
      Files.deleteIfExists(forwardFile);
      Files.deleteIfExists(backFile);
    }
  }

  /** With {@code --save-dir}: writes {@code text} as {@code DIR/<shape>-<name>.nft}. */
  private void save(Workload.Shape shape, String name, byte[] text) throws IOException {
    if (options.saveDir != null) {
      Files.createDirectories(options.saveDir);
      Files.write(options.saveDir.resolve(shape + "-" + name + ".nft"), text);
    }
  }

  private static Command nftFile(Path file) {
    return Command.of("nft", "-f", file.toString()).withTimeout(Duration.ofMinutes(5));
  }

  private static int even(int n) {
    return n + (n % 2);
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** VmRSS of this process, from /proc/self/status. */
  private static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS in /proc/self/status");
  }

  private String machine() {
    String nft;
    try {
      nft = host.run(Command.of("nft", "--version")).stdout().strip();
    } catch (CommandException e) {
      nft = "unknown (" + e.getMessage() + ")";
    }
    String kernel;
    long memory;
    try {
      kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
      memory = Files.readAllLines(Path.of("/proc/meminfo")).stream()
          .filter(l -> l.startsWith("MemTotal:"))
          .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024)
          .findFirst()
          .orElse(0);
    } catch (IOException e) {
      kernel = "unknown";
      memory = 0;
    }
    return String.format(
        Locale.ROOT,
        "%d CPUs, %.1f GiB memory, kernel %s, Java %s (%s), %s, max heap %d MiB",
        Runtime.getRuntime().availableProcessors(),
        memory / (1024.0 * 1024 * 1024),
        kernel,
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        nft,
        Runtime.getRuntime().maxMemory() / (1024 * 1024));
  }

  private static String summary(Samples samples) {
    return String.format(
        Locale.ROOT, "median %.1f ms, p90 %.1f ms", samples.medianMs(), samples.p90Ms());
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, format + "%n", args);
  }

  /** The command-line options. */
  private static final class Options {
    List<Workload.Shape> shapes = List.of(
        Workload.Shape.S, Workload.Shape.M, Workload.Shape.L, Workload.Shape.W);
    int runs = 40;
    int upstreamRuns = 10;
    int maxMinutes = 20;
    Path out;
    Path chart;
    String commandLine;
    Path saveDir;
    boolean datapath;
    int dpServices = 1000;
    int dpGroups = 50;
    int dpMillis = 1500;
    int dpRounds = 3;
    boolean dpPerf;
    boolean shapesGiven;
    boolean runsGiven;
    boolean coldStart;
    boolean footprint;
    Path jar = Path.of("proxy-bin/target/kube-proxy-java.jar");
    List<String> jvm = new ArrayList<>();
    int idleSeconds = 300;

    static Options parse(String[] args) {
      Options options = new Options();
      options.commandLine = String.join(" ", args);
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        options.shapesGiven |= args[i].equals("--shapes");
        options.runsGiven |= args[i].equals("--runs");
        switch (args[i]) {
          case "--shapes" -> options.shapes =
              java.util.Arrays.stream(required(args[i], value).split(","))
                  .map(s -> Workload.Shape.valueOf(s.strip().toUpperCase(Locale.ROOT)))
                  .toList();
          case "--runs" -> options.runs = positive(args[i], value);
          case "--cold-start" -> {
            options.coldStart = true;
            i--; // takes no value
          }
          case "--footprint" -> {
            options.footprint = true;
            i--; // takes no value
          }
          case "--jar" -> options.jar = Path.of(required(args[i], value));
          case "--jvm" -> options.jvm.add(required(args[i], value));
          case "--idle-seconds" -> options.idleSeconds = positive(args[i], value);
          case "--upstream-runs" ->
              options.upstreamRuns = Integer.parseInt(required(args[i], value));
          case "--max-minutes" -> options.maxMinutes = positive(args[i], value);
          case "--out" -> options.out = Path.of(required(args[i], value));
          case "--chart" -> options.chart = Path.of(required(args[i], value));
          case "--save-dir" -> options.saveDir = Path.of(required(args[i], value));
          case "--datapath" -> {
            options.datapath = true;
            i--; // takes no value
          }
          case "--dp-perf" -> {
            options.dpPerf = true;
            i--; // takes no value
          }
          case "--dp-services" -> options.dpServices = positive(args[i], value);
          case "--dp-groups" -> options.dpGroups = positive(args[i], value);
          case "--dp-millis" -> options.dpMillis = positive(args[i], value);
          case "--dp-rounds" -> options.dpRounds = positive(args[i], value);
          default -> throw new IllegalArgumentException(
              "unknown option " + args[i] + "; usage: KernelBenchmark [--shapes S,M,W,L]"
                  + " [--runs N] [--upstream-runs N] [--max-minutes M] [--out FILE.md]"
                  + " [--chart FILE.svg] | --datapath [--dp-services N] [--dp-groups G]"
                  + " [--dp-millis MS] [--dp-rounds R] [--dp-perf] [--out FILE.md]"
                  + " | --cold-start|--footprint [--shapes M] [--runs N] [--jar JAR]"
                  + " [--jvm 'OPTIONS']... [--idle-seconds S] [--out FILE.md]");
        }
        i++;
      }
      return options;
    }

    private static String required(String option, String value) {
      if (value == null) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return value;
    }

    private static int positive(String option, String value) {
      int n = Integer.parseInt(required(option, value));
      if (n <= 0) {
        throw new IllegalArgumentException(option + " must be positive, got " + n);
      }
      return n;
    }
  }
}
