package dev.kubeproxy.userspace;

import com.google.common.base.Preconditions;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import java.util.Objects;

/**
 * One listener the proxy keeps: the service port it serves, which endpoint list, and where it
 * binds. Port 0 asks for an ephemeral port, which the listener then keeps for its whole life
 * (also across REJECT/DROP phases) so that its local address stays stable.
 */
public record ListenerSpec(ServicePortKey key, Traffic traffic, IpAddress bindAddress, int port) {
  public ListenerSpec {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(traffic, "traffic");
    Objects.requireNonNull(bindAddress, "bindAddress");
    Preconditions.checkArgument(port >= 0 && port <= 65535, "port %s outside 0..65535", port);
    Preconditions.checkArgument(
        key.protocol() != Protocol.SCTP, "%s: the userspace proxy carries TCP and UDP only", key);
  }

  public IpFamily family() {
    return bindAddress.family();
  }

  @Override
  public String toString() {
    return key + "/" + key.protocol() + " " + traffic + " on " + bindAddress.withPort(port);
  }
}
