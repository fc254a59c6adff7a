package dev.kubeproxy.jmh;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import dev.kubeproxy.iptables.IptBinaries;
import dev.kubeproxy.iptables.IptCompiler;
import dev.kubeproxy.iptables.IptNames;
import dev.kubeproxy.iptables.IptOp;
import dev.kubeproxy.iptables.IptRenderer;
import dev.kubeproxy.iptables.IptTable;
import dev.kubeproxy.iptables.IptTransaction;
import dev.kubeproxy.iptables.IptablesBackend;
import dev.kubeproxy.iptables.RealIptKernel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The kernel benchmark's {@code --mode iptables} (issue 9): per shape and iptables variant, in
 * network namespaces it creates and always deletes, (a) the first full sync through {@link
 * IptablesBackend} and real {@code iptables-restore}, beside a bare {@code iptables-restore
 * --noflush} of the same text into a fresh namespace; (b) one-endpoint changes from tracker
 * event to kernel; (c) the bare restore of the same change texts; (d) upstream's approach: the
 * same change with the dispatch chains (and filter) rewritten in full, restore time only.
 *
 * <p>Usage: {@code KernelBenchmark --mode iptables [--shapes S,M] [--variants legacy,nft]
 * [--runs N] [--upstream-runs N] [--out FILE.md]}.
 */
final class IptablesKernelBenchmark {
  private static final int WARMUP_CHANGES = 10;

  private final CommandRunner host = new ProcessCommandRunner();

  private IptablesKernelBenchmark() {}

  record Row(String shape, String variant, long fullBytes, double fullSyncMs, double fullRestoreMs,
      double bareFullMs, long changeBytes, Samples ours, Samples bare, long upstreamBytes,
      Samples upstream) {}

  static void main(List<String> args) throws Exception {
    List<Workload.Shape> shapes = List.of(Workload.Shape.S, Workload.Shape.M);
    List<String> variants = List.of("legacy", "nft");
    int runs = 20;
    int upstreamRuns = 6;
    Path out = null;
    for (int i = 0; i < args.size(); i += 2) {
      String value = args.get(i + 1);
      switch (args.get(i)) {
        case "--shapes" -> shapes = Arrays.stream(value.split(","))
            .map(s -> Workload.Shape.valueOf(s.strip().toUpperCase(Locale.ROOT))).toList();
        case "--variants" -> variants = List.of(value.split(","));
        case "--runs" -> runs = Integer.parseInt(value);
        case "--upstream-runs" -> upstreamRuns = Integer.parseInt(value);
        case "--out" -> out = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option " + args.get(i));
      }
    }
    IptablesKernelBenchmark bench = new IptablesKernelBenchmark();
    List<Row> rows = new ArrayList<>();
    for (Workload.Shape shape : shapes) {
      for (String variant : variants) {
        rows.add(bench.run(shape, variant, runs + runs % 2, upstreamRuns + upstreamRuns % 2));
      }
    }
    String report = report(String.join(" ", args), rows);
    System.out.print(report);
    if (out != null) {
      Files.writeString(out, report, StandardCharsets.UTF_8);
    }
  }

  private Row run(Workload.Shape shape, String variant, int runs, int upstreamRuns)
      throws Exception {
    log("%s %s: %d services x %d endpoints", shape, variant, shape.services, shape.endpointsPerService);
    IptBinaries binaries = variant.equals("legacy") ? IptBinaries.legacy() : IptBinaries.nft();
    boolean nft = variant.equals("nft");
    Workload workload = Workload.of(shape);
    OneEndpointChanges events = OneEndpointChanges.of(workload, 512);
    LoadedModel model = LoadedModel.load(workload);
    try (BenchNamespace namespace = BenchNamespace.create(host)) {
      RecordingCommandRunner recorder = new RecordingCommandRunner(namespace.runner());
      RealIptKernel kernel = RealIptKernel.forVariant(recorder, binaries, nft);
      IptablesBackend backend = new IptablesBackend(kernel);

      // (a) first full sync; the last command recorded is the restore.
      long start = System.nanoTime();
      backend.sync(SyncRequest.full(TableChange.initial(model.table())));
      double fullSyncMs = (System.nanoTime() - start) / 1e6;
      double fullRestoreMs = recorder.lastNanos() / 1e6;
      byte[] fullText = recorder.last().stdin();
      log("%s %s: first full sync %.0f ms (restore %.0f ms, %d bytes)", shape, variant,
          fullSyncMs, fullRestoreMs, fullText.length);
      double bareFullMs;
      try (BenchNamespace fresh = BenchNamespace.create(host)) {
        long t = System.nanoTime();
        fresh.runner().run(restore(binaries, fullText));
        bareFullMs = (System.nanoTime() - t) / 1e6;
      }
      log("%s %s: bare full restore %.0f ms", shape, variant, bareFullMs);

      for (int i = 0; i < WARMUP_CHANGES; i++) {
        backend.sync(SyncRequest.partial(model.applyAsChange(events.next())));
      }
      // (b) one-endpoint changes, event to kernel, and their texts for (c).
      long[] ours = new long[runs];
      List<byte[]> texts = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        long t = System.nanoTime();
        backend.sync(SyncRequest.partial(model.applyAsChange(events.next())));
        ours[i] = System.nanoTime() - t;
        texts.add(recorder.last().stdin());
      }
      log("%s %s: one change, ours median %.1f ms", shape, variant, new Samples(ours).medianMs());

      // (c) the same texts by hand: each change's inverse comes next in the ring, so replay
      // the last two in turn (forward, back, forward...).
      byte[] forward = texts.get(texts.size() - 2);
      byte[] back = texts.get(texts.size() - 1);
      long[] bare = new long[runs];
      for (int i = 0; i < runs; i++) {
        Command c = restore(binaries, i % 2 == 0 ? forward : back);
        long t = System.nanoTime();
        namespace.runner().run(c);
        bare[i] = System.nanoTime() - t;
      }
      log("%s %s: one change, bare restore median %.1f ms", shape, variant, new Samples(bare).medianMs());

      // (d) upstream's approach for the next change and its inverse, applied in turn; the
      // model moves on by the pair, so our backend's committed state stays true.
      IptCompiler compiler = new IptCompiler();
      byte[] upForward = upstreamText(compiler, model.applyAsChange(events.next()))
          .getBytes(StandardCharsets.UTF_8);
      byte[] upBack = upstreamText(compiler, model.applyAsChange(events.next()))
          .getBytes(StandardCharsets.UTF_8);
      long[] upstream = new long[upstreamRuns];
      for (int i = 0; i < upstreamRuns; i++) {
        Command c = restore(binaries, i % 2 == 0 ? upForward : upBack);
        long t = System.nanoTime();
        namespace.runner().run(c);
        upstream[i] = System.nanoTime() - t;
      }
      long upstreamBytes = upForward.length;
      log("%s %s: one change, upstream approach median %.1f ms", shape, variant,
          new Samples(upstream).medianMs());
      return new Row(shape.name(), variant, fullText.length, fullSyncMs, fullRestoreMs,
          bareFullMs, forward.length, new Samples(ours), new Samples(bare), upstreamBytes,
          new Samples(upstream));
    }
  }

  /**
   * What upstream's partial sync sends for {@code change}: filter in full, nat's top-level
   * (dispatch) chains in full, and only the changed service's own chains (no jumps from
   * built-in chains: upstream ensures those outside the restore).
   */
  static String upstreamText(IptCompiler compiler, TableChange change) {
    IptTransaction partial = compiler.compile(change, false,
        compiler.full(change.previous()).state()).transaction();
    Set<String> changedChains = new HashSet<>();
    for (IptOp op : partial.ops(IptTable.NAT)) {
      if (op instanceof IptOp.DeclareChain d) {
        changedChains.add(d.chain());
      }
    }
    IptTransaction full = compiler.full(change.next()).transaction();
    IptTransaction.Builder b = IptTransaction.builder();
    for (IptTable t : List.of(IptTable.FILTER, IptTable.NAT)) {
      for (IptOp op : full.ops(t)) {
        boolean jump = op instanceof IptOp.InsertRule;
        boolean canary = op.chain().equals(IptNames.CANARY);
        boolean otherService = t == IptTable.NAT && IptNames.isServiceChain(op.chain())
            && !changedChains.contains(op.chain());
        if (!jump && !canary && !otherService) {
          b.add(t, op);
        }
      }
    }
    return new IptRenderer().render(b.build());
  }

  private static Command restore(IptBinaries binaries, byte[] text) {
    return Command.of(ImmutableList.of(binaries.restore4(), "-w", "--noflush"), text)
        .withTimeout(Duration.ofMinutes(15));
  }

  static String report(String args, List<Row> rows) {
    StringBuilder s = new StringBuilder();
    s.append("## iptables (`KernelBenchmark --mode iptables ").append(args).append("`)\n\n");
    s.append("| shape | variant | full text | first full sync | of which restore | bare restore |"
        + " one change: ours p50 / p90 | bare restore p50 | change text | upstream approach p50 |"
        + " upstream text |\n");
    s.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      s.append(String.format(Locale.ROOT,
          "| %s | %s | %.1f MiB | %.2f s | %.2f s | %.2f s | %.1f / %.1f ms | %.1f ms | %d B |"
              + " %.1f ms | %.0f kB |%n",
          r.shape(), r.variant(), r.fullBytes() / 1048576.0, r.fullSyncMs() / 1000,
          r.fullRestoreMs() / 1000, r.bareFullMs() / 1000, r.ours().medianMs(), r.ours().p90Ms(),
          r.bare().medianMs(), r.changeBytes(), r.upstream().medianMs(),
          r.upstreamBytes() / 1000.0));
    }
    return s.toString();
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, format + "%n", args);
  }
}
