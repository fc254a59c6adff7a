package dev.kubeproxy.jmh;

import java.util.List;
import java.util.Locale;

/** Prints the kernel benchmark's results as markdown tables. */
final class KernelReport {
  private static final double MIB = 1024.0 * 1024;

  private KernelReport() {}

  static String markdown(String machine, String commandLine, List<ShapeResult> results) {
    StringBuilder out = new StringBuilder();
    out.append("## Kernel benchmark\n\n");
    line(out, "Machine: %s.  ", machine);
    line(out, "Arguments: `%s`.\n", commandLine.isEmpty() ? "(defaults)" : commandLine);

    out.append("### First full sync (cold JVM)\n\n");
    out.append("| shape | services x endpoints | nft text | events + build | backend sync"
        + " | of which nft | first sync total | bare `nft -f` | ours/bare |\n");
    out.append("|---|---|---|---|---|---|---|---|---|\n");
    for (ShapeResult r : results) {
      if (r.failure() != null) {
        line(out, "| %s | %d x %d | %.1f MiB | failed: %s ||||||", r.shape(), r.shape().services,
            r.shape().endpointsPerService, r.fullPayloadBytes() / MIB,
            r.failure().replace("|", "/").replaceAll("\\s+", " "));
        continue;
      }
      line(out, "| %s | %d x %d | %.1f MiB | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.2f |",
          r.shape(), r.shape().services, r.shape().endpointsPerService,
          r.fullPayloadBytes() / MIB, r.loadMs(), r.fullSyncMs(), r.fullNftMs(),
          r.firstSyncMs(), r.fullBareMs(), r.firstSyncMs() / r.fullBareMs());
    }

    out.append("\n### One-endpoint change, event to kernel (milliseconds)\n\n");
    out.append("| shape | ours median | ours p90 | of which nft (median) | bare `nft -f` median"
        + " | bare p90 | ours/bare (medians) | upstream approach median | upstream p90"
        + " | of which `nft -j list` (median) | upstream/ours | change text | runs |\n");
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (ShapeResult r : ok(results)) {
      // Without the upstream approach (--upstream-runs 0) its columns stay empty.
      String upstream = r.upstream() == null ? "– | – | – | – | 0" : String.format(Locale.ROOT,
          "%.1f | %.1f | %.1f | %.1f | %d", r.upstream().medianMs(), r.upstream().p90Ms(),
          r.upstreamList().medianMs(), r.upstream().medianMs() / r.ours().medianMs(),
          r.upstream().count());
      String[] u = upstream.split(" \\| ");
      line(out, "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %s | %s | %s | %s | %d B | %d / %d / %s |",
          r.shape(), r.ours().medianMs(), r.ours().p90Ms(), r.oursNft().medianMs(),
          r.bare().medianMs(), r.bare().p90Ms(), r.ours().medianMs() / r.bare().medianMs(),
          u[0], u[1], u[2], u[3], r.changePayloadBytes(), r.ours().count(), r.bare().count(),
          u[4]);
    }
    ShapeResult s = find(results, Workload.Shape.S);
    ShapeResult l = find(results, Workload.Shape.L);
    if (s != null && l != null) {
      line(out, "\ncost(L)/cost(S) of the one-endpoint change (medians): %.2f",
          l.ours().medianMs() / s.ours().medianMs());
    }

    out.append("\n### Memory with the shape loaded (model + backend after the first full sync;"
        + " RSS is the whole process, so it includes shapes run before in the same JVM)\n\n");
    out.append("| shape | heap used after GC | process RSS |\n|---|---|---|\n");
    for (ShapeResult r : results) {
      line(out, "| %s | %.0f MiB | %.0f MiB |", r.shape(), r.heapBytes() / MIB, r.rssBytes() / MIB);
    }
    return out.toString();
  }

  private static List<ShapeResult> ok(List<ShapeResult> results) {
    return results.stream().filter(r -> r.failure() == null).toList();
  }

  private static ShapeResult find(List<ShapeResult> results, Workload.Shape shape) {
    return ok(results).stream().filter(r -> r.shape() == shape).findFirst().orElse(null);
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
