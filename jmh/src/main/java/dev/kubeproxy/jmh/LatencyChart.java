package dev.kubeproxy.jmh;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Draws the kernel benchmark's one-change latency against the number of services (shapes S, M
 * and L, one endpoint changed) as a standalone SVG: ours (median, with a p90 bar), bare {@code
 * nft -f}, and upstream's list-then-apply approach. Linear x, logarithmic y, no libraries.
 */
final class LatencyChart {
  private static final int WIDTH = 720;
  private static final int HEIGHT = 440;
  private static final int LEFT = 70;
  private static final int RIGHT = 190;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;

  private record Series(String label, String color, ToDoubleFunction<ShapeResult> value) {}

  private LatencyChart() {}

  static String svg(List<ShapeResult> results) {
    List<ShapeResult> points = new ArrayList<>();
    for (ShapeResult r : results) {
      if (r.shape() != Workload.Shape.W && r.failure() == null) { // W varies endpoints, not services: not on this axis
        points.add(r);
      }
    }
    points.sort(Comparator.comparingInt(r -> r.shape().services));
    List<Series> series = List.of(
        new Series("ours, event to kernel", "#1f77b4", r -> r.ours().medianMs()),
        new Series("bare nft -f of the change", "#2ca02c", r -> r.bare().medianMs()),
        new Series("upstream approach (list, then apply)", "#d62728", r -> r.upstream().medianMs()));

    double maxServices = 0;
    double low = Double.MAX_VALUE;
    double high = 0;
    for (ShapeResult r : points) {
      maxServices = Math.max(maxServices, r.shape().services);
      high = Math.max(high, r.ours().p90Ms());
      for (Series s : series) {
        low = Math.min(low, s.value().applyAsDouble(r));
        high = Math.max(high, s.value().applyAsDouble(r));
      }
    }
    int decadeLow = points.isEmpty() ? 0 : (int) Math.floor(Math.log10(low));
    int decadeHigh = points.isEmpty() ? 1 : (int) Math.ceil(Math.log10(high));
    decadeHigh = Math.max(decadeHigh, decadeLow + 1);
    double xMax = Math.max(1, Math.ceil(maxServices * 1.1 / 10_000) * 10_000);
    Plot plot = new Plot(xMax, decadeLow, decadeHigh);

    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT));
    out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    text(out, WIDTH / 2.0, 22, "middle", 15,
        "One-endpoint change latency vs number of services (median)");
    for (int d = decadeLow; d <= decadeHigh; d++) {
      double y = plot.y(Math.pow(10, d));
      line(out, LEFT, y, WIDTH - RIGHT, y, "#ddd");
      text(out, LEFT - 6, y + 4, "end", 12, formatMs(Math.pow(10, d)));
    }
    for (int x = 0; x <= xMax; x += 10_000) {
      line(out, plot.x(x), TOP, plot.x(x), HEIGHT - BOTTOM, "#eee");
      text(out, plot.x(x), HEIGHT - BOTTOM + 18, "middle", 12, x / 1000 + "k");
    }
    line(out, LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, "#333");
    line(out, LEFT, TOP, LEFT, HEIGHT - BOTTOM, "#333");
    text(out, (LEFT + WIDTH - RIGHT) / 2.0, HEIGHT - 18, "middle", 13, "services (shapes S, M, L)");
    out.append(String.format(Locale.ROOT,
        "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
            + "transform=\"rotate(-90 18 %.1f)\">milliseconds (log scale)</text>%n",
        (TOP + HEIGHT - BOTTOM) / 2.0, (TOP + HEIGHT - BOTTOM) / 2.0));

    for (ShapeResult r : points) { // p90 bar of ours
      double x = plot.x(r.shape().services);
      line(out, x, plot.y(r.ours().medianMs()), x, plot.y(r.ours().p90Ms()), "#1f77b4");
      line(out, x - 5, plot.y(r.ours().p90Ms()), x + 5, plot.y(r.ours().p90Ms()), "#1f77b4");
    }
    int legendY = TOP + 10;
    for (Series s : series) {
      StringBuilder polyline = new StringBuilder();
      for (ShapeResult r : points) {
        double x = plot.x(r.shape().services);
        double y = plot.y(s.value().applyAsDouble(r));
        polyline.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        out.append(String.format(Locale.ROOT,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>%n", x, y, s.color()));
        text(out, x + 7, y - 6, "start", 11, r.shape() + " " + formatMs(s.value().applyAsDouble(r)));
      }
      out.append(String.format(Locale.ROOT,
          "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
          polyline.toString().strip(), s.color()));
      line(out, WIDTH - RIGHT + 15, legendY, WIDTH - RIGHT + 35, legendY, s.color());
      text(out, WIDTH - RIGHT + 40, legendY + 4, "start", 11, s.label());
      legendY += 20;
    }
    text(out, WIDTH - RIGHT + 15, legendY + 4, "start", 11, "bar: ours p90");
    out.append("</svg>\n");
    return out.toString();
  }

  private static String formatMs(double ms) {
    return ms >= 10 ? String.format(Locale.ROOT, "%.0f ms", ms)
        : String.format(Locale.ROOT, "%.1f ms", ms);
  }

  private static void line(StringBuilder out, double x1, double y1, double x2, double y2, String color) {
    out.append(String.format(Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\"/>%n",
        x1, y1, x2, y2, color));
  }

  private static void text(StringBuilder out, double x, double y, String anchor, int size, String s) {
    out.append(String.format(Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
        x, y, anchor, size, s.replace("&", "&amp;").replace("<", "&lt;")));
  }

  /** Maps data to pixels: x linear from 0 to {@code xMax}, y by decades. */
  private record Plot(double xMax, int decadeLow, int decadeHigh) {
    double x(double services) {
      return LEFT + services / xMax * (WIDTH - LEFT - RIGHT);
    }

    double y(double ms) {
      double fraction = (Math.log10(ms) - decadeLow) / (decadeHigh - decadeLow);
      return HEIGHT - BOTTOM - fraction * (HEIGHT - TOP - BOTTOM);
    }
  }
}
