package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;

/**
 * What the kernel holds of the IPVS mode in one family, read before a full sync so that the full
 * compile changes only what differs (no moment without rules): our ipsets and their members, the
 * dummy device and its addresses, the virtual and real servers of this family, and which jumps from
 * built-in chains to the glue exist.
 */
public record IpvsExisting(
    IpFamily family,
    ImmutableSet<String> sets,
    ImmutableSet<IpsetEntry> members,
    boolean device,
    ImmutableSet<IpAddress> addresses,
    ImmutableMap<VirtualServer, ServiceConfig> services,
    ImmutableMap<RealServer, Integer> servers,
    ImmutableSet<GlueJump> jumps) {

  /** A node that holds nothing of ours. */
  public static IpvsExisting nothing(IpFamily family) {
    return new IpvsExisting(
        family,
        ImmutableSet.of(),
        ImmutableSet.of(),
        false,
        ImmutableSet.of(),
        ImmutableMap.of(),
        ImmutableMap.of(),
        ImmutableSet.of());
  }
}
