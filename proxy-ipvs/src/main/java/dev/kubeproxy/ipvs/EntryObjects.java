package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.IpAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything one service port needs in the kernel: virtual services, real servers with weights,
 * addresses on {@code kube-ipvs0}, ipset members and KUBE-IPVS-OUT-FILTER rules. Comparing two of
 * these tells a partial sync what to change for that service port.
 */
record EntryObjects(
    ImmutableMap<VirtualServer, ServiceConfig> services,
    ImmutableMap<RealServer, Integer> servers,
    ImmutableSet<IpAddress> addresses,
    ImmutableSet<IpsetEntry> members,
    ImmutableList<ImmutableList<String>> outFilter) {
  static final EntryObjects EMPTY =
      new EntryObjects(
          ImmutableMap.of(),
          ImmutableMap.of(),
          ImmutableSet.of(),
          ImmutableSet.of(),
          ImmutableList.of());

  Map<IpAddress, Boolean> addressClaims() {
    return present(addresses);
  }

  Map<IpsetEntry, Boolean> memberClaims() {
    return present(members);
  }

  private static <T> Map<T, Boolean> present(ImmutableSet<T> items) {
    Map<T, Boolean> out = new LinkedHashMap<>();
    for (T item : items) {
      out.put(item, Boolean.TRUE);
    }
    return out;
  }
}
