package dev.kubeproxy.api.backend;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;

/**
 * Metrics a backend keeps about its own work (upstream's per-mode metrics, e.g. the iptables
 * rule counts), so the binary's {@code /metrics} can publish them without knowing the mode. A
 * backend implements this next to {@link Backend}; reads are thread-safe and cheap enough for a
 * scrape.
 */
public interface BackendStats {
  /** The metric families now, in a stable order. */
  ImmutableList<Metric> metrics();

  /** Prometheus metric types used here. */
  enum Type {
    GAUGE,
    COUNTER
  }

  /** One metric family: upstream's name and help, and its samples. */
  record Metric(String name, String help, Type type, ImmutableList<Sample> samples) {
    public Metric {
      checkArgument(name != null && name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*"), "bad metric name %s", name);
      checkArgument(help != null && type != null && samples != null, "help, type and samples must be set");
    }
  }

  /** One sample: label values by label name, and the value. */
  record Sample(ImmutableMap<String, String> labels, double value) {}
}
