package dev.kubeproxy.bin.server;

import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.userspace.ServicePortStats;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The userspace proxy's per-service-port counters in the Prometheus text format, named
 * {@code kubeproxy_userspace_*} beside the {@code kubeproxy_*} sync metrics and labelled by
 * namespace, service, port name and protocol.
 */
final class UserspacePrometheusText {
  private UserspacePrometheusText() {}

  /** One metric family per counter, each with a sample per service port of {@code stats}. */
  static String render(Map<ServicePortKey, ServicePortStats> stats) {
    StringBuilder out = new StringBuilder();
    family(out, stats, "kubeproxy_userspace_connections_active", "gauge",
        "Connections (and UDP sessions) the userspace proxy carries now", ServicePortStats::activeConnections);
    family(out, stats, "kubeproxy_userspace_connections_total", "counter",
        "Connections (and UDP sessions) the userspace proxy accepted", ServicePortStats::totalConnections);
    family(out, stats, "kubeproxy_userspace_received_bytes_total", "counter",
        "Bytes read from clients and forwarded to endpoints", ServicePortStats::bytesIn);
    family(out, stats, "kubeproxy_userspace_sent_bytes_total", "counter",
        "Bytes read from endpoints and forwarded to clients", ServicePortStats::bytesOut);
    family(out, stats, "kubeproxy_userspace_dial_failures_total", "counter",
        "Endpoint dials that failed", ServicePortStats::dialFailures);
    family(out, stats, "kubeproxy_userspace_dial_retries_total", "counter",
        "Dials that retried another endpoint after a failure", ServicePortStats::retries);
    return out.toString();
  }

  private static void family(
      StringBuilder out, Map<ServicePortKey, ServicePortStats> stats, String name, String type, String help,
      ToLongFunction<ServicePortStats> value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    stats.forEach((key, s) -> {
      out.append(name).append('{');
      label(out, "namespace", key.service().namespace()).append(',');
      label(out, "service", key.service().name()).append(',');
      label(out, "port", key.portName()).append(',');
      label(out, "protocol", key.protocol().name()).append("} ");
      out.append(value.applyAsLong(s)).append('\n');
    });
  }

  private static StringBuilder label(StringBuilder out, String name, String value) {
    out.append(name).append("=\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
    return out.append('"');
  }
}
