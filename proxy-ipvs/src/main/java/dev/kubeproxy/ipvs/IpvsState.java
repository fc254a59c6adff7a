package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.kit.SharedObjects;

/**
 * What the IPVS backend last committed in one family, so that a partial sync finds its delta
 * without listing the kernel: each service port's objects; who claims each virtual service, real
 * server, address and ipset member (shared ones live until the last claimant lets go, and the
 * smallest key's value wins); the out-filter rules; and the real servers draining at weight 0
 * (graceful termination) with when they started. Immutable; updates share structure.
 */
public record IpvsState(
    ForwardingTable facts,
    PersistentMap<ServicePortKey, EntryObjects> entries,
    SharedObjects<ServicePortKey, VirtualServer, ServiceConfig> services,
    SharedObjects<ServicePortKey, RealServer, Integer> servers,
    SharedObjects<ServicePortKey, IpAddress, Boolean> addresses,
    SharedObjects<ServicePortKey, IpsetEntry, Boolean> members,
    ImmutableSortedMap<ServicePortKey, ImmutableList<ImmutableList<String>>> outFilter,
    ImmutableSortedMap<RealServer, Long> draining,
    long lastDrainCheck) {}
