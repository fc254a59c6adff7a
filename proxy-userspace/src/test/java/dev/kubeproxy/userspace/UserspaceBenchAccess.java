package dev.kubeproxy.userspace;

import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;

/** Lets the benchmark (another package) speak to a {@link ListenerAgent}. */
public final class UserspaceBenchAccess {
  private UserspaceBenchAccess() {}

  /** The agent's command that opens a listener of {@code key} on {@code address:port}. */
  public static String putLine(
      ServicePortKey key, IpAddress address, int port, EndpointList endpoints, SessionAffinity affinity) {
    return ListenerCodec.put(new ListenerSpec(key, Traffic.INTERNAL, address, port), endpoints, affinity);
  }
}
