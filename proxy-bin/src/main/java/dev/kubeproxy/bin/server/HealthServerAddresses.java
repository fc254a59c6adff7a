package dev.kubeproxy.bin.server;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where the service health servers listen: exactly where NodePorts answer, read from the
 * tables' resolved {@code nodePortAddresses} (so {@code primary} means the Node object's primary
 * IPs, as the rules use). Every address (0.0.0.0) when some table accepts NodePorts on every
 * address; else the node's local addresses inside the tables' CIDRs, loopback excluded.
 */
final class HealthServerAddresses {
  static final IpAddress EVERY_ADDRESS = IpAddress.parse("0.0.0.0");

  private HealthServerAddresses() {}

  /** The bind addresses for {@code tables}, choosing among the node's {@code local} addresses. */
  static ImmutableList<IpAddress> bindAddresses(
      Collection<ForwardingTable> tables, List<IpAddress> local) {
    if (tables.isEmpty()
        || tables.stream().anyMatch(t -> t.facts().nodePortAddresses().all())) {
      return ImmutableList.of(EVERY_ADDRESS);
    }
    Set<IpAddress> selected = new LinkedHashSet<>();
    for (IpAddress address : local) {
      if (address.isLoopback()) {
        continue;
      }
      for (ForwardingTable table : tables) {
        if (table.family() == address.family()
            && table.facts().nodePortAddresses().matches(address)) {
          selected.add(address);
        }
      }
    }
    return ImmutableList.copyOf(selected);
  }

  /** This host's interface addresses, link-local ones excluded. */
  static List<IpAddress> localAddresses() {
    List<IpAddress> addresses = new ArrayList<>();
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (!address.isLinkLocalAddress()) {
            addresses.add(IpAddress.of(address));
          }
        }
      }
    } catch (SocketException e) {
      throw new UncheckedIOException("cannot list the node's addresses", e);
    }
    return addresses;
  }
}
