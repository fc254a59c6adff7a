package dev.kubeproxy.userspace;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.nftables.NftElement;
import java.util.Objects;

/**
 * One node-mode redirect: an element of map {@code map} (see {@link RedirectRules}) that sends
 * the frontend {@code key} (address, protocol, port; or protocol, port for NodePorts) to the
 * listener at {@code target}:{@code port}.
 */
public record Redirect(String map, ImmutableList<String> key, IpAddress target, int port) {
  public Redirect {
    Preconditions.checkArgument(
        RedirectRules.SERVICE_PORTS.equals(map) || RedirectRules.NODEPORT_PORTS.equals(map), "unknown map %s", map);
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(target, "target");
    Preconditions.checkArgument(port >= 1 && port <= 65535, "listener port %s outside 1..65535", port);
  }

  /** The map element: {@code 10.96.0.10 . tcp . 80 : 192.0.2.1 . 20000}. */
  NftElement element() {
    return NftElement.mapping(key, ImmutableList.of(target.toString(), Integer.toString(port)));
  }
}
