package dev.kubeproxy.api.backend;

import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServicePortKey;

/**
 * A backend that may leave a service port it cannot compile out of the kernel (issue 14) and
 * says which, so the binary can report each one (an event regarding its Service in API mode).
 */
public interface SkippedPorts {
  /**
   * The service ports {@code family}'s last successful sync left out of the kernel, each with
   * the reason; empty when none.
   */
  ImmutableSortedMap<ServicePortKey, String> skipped(IpFamily family);
}
