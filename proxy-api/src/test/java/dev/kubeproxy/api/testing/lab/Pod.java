package dev.kubeproxy.api.testing.lab;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;

/**
 * A pod-like namespace of a {@link NetnsLab}: its name (also the name its servers answer with),
 * its namespace, its dual-stack addresses, and whether it sits on the lab's node or behind the
 * remote node.
 */
public record Pod(String name, String netns, IpAddress ipv4, IpAddress ipv6, boolean local) {
  /** The pod's address of {@code family}. */
  public IpAddress ip(IpFamily family) {
    return family == IpFamily.V4 ? ipv4 : ipv6;
  }
}
