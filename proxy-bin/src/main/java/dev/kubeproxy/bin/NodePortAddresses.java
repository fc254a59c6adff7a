package dev.kubeproxy.bin;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.model.ProxyConfig;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The node's own addresses that {@code --nodeport-addresses} selects, as upstream resolves them
 * for the service health servers: local interface addresses inside the CIDRs (loopback
 * excluded), plus the node IPs for {@code primary}. Empty when the flag is unset, which means
 * "every address" (0.0.0.0).
 */
final class NodePortAddresses {
  private NodePortAddresses() {}

  static ImmutableList<IpAddress> resolve(ProxyConfig config) throws SocketException {
    List<Cidr> cidrs = new ArrayList<>();
    boolean primary = false;
    for (String entry : config.nodePortAddresses()) {
      if ("primary".equals(entry)) {
        primary = true;
      } else {
        cidrs.add(Cidr.parse(entry));
      }
    }
    return select(cidrs, primary, config.nodeIps(), localAddresses());
  }

  /** The pure part of {@link #resolve}: which of {@code local} (and node IPs) are selected. */
  static ImmutableList<IpAddress> select(
      List<Cidr> cidrs, boolean primary, List<IpAddress> nodeIps, List<IpAddress> local) {
    Set<IpAddress> selected = new LinkedHashSet<>();
    for (IpAddress address : local) {
      if (!address.isLoopback() && cidrs.stream().anyMatch(c -> c.contains(address))) {
        selected.add(address);
      }
    }
    if (primary) {
      selected.addAll(nodeIps);
    }
    return ImmutableList.copyOf(selected);
  }

  private static List<IpAddress> localAddresses() throws SocketException {
    List<IpAddress> addresses = new ArrayList<>();
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (!address.isLinkLocalAddress()) {
          addresses.add(IpAddress.of(address));
        }
      }
    }
    return addresses;
  }
}
