package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.ServicePortKey;

/**
 * Read-only view of the userspace proxy's counters per service port, for the binary to export
 * (e.g. to Prometheus) without this module depending on a metrics library. A service port
 * appears while it has a listener.
 */
public interface UserspaceMetrics {
  ImmutableMap<ServicePortKey, ServicePortStats> snapshot();
}
