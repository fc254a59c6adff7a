package dev.kubeproxy.jmh;

import com.google.common.base.Preconditions;
import java.util.Arrays;

/** Repeated timings in nanoseconds, summarised as the median and the 90th percentile in ms. */
public record Samples(long[] nanos) {
  public Samples {
    Preconditions.checkArgument(nanos.length > 0, "no samples");
    nanos = nanos.clone();
    Arrays.sort(nanos);
  }

  public int count() {
    return nanos.length;
  }

  public double medianMs() {
    return percentileMs(50);
  }

  public double p90Ms() {
    return percentileMs(90);
  }

  /** Nearest-rank percentile {@code p} (0 < p <= 100) in milliseconds. */
  public double percentileMs(double p) {
    Preconditions.checkArgument(p > 0 && p <= 100, "percentile %s", p);
    int rank = (int) Math.ceil(p / 100 * nanos.length);
    return nanos[Math.max(0, rank - 1)] / 1e6;
  }
}
