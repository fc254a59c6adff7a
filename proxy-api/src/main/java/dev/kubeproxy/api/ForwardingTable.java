package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The contract between the model and the backends (DESIGN §4): for one IP family, every
 * service port's {@link ServiceEntry}, plus the table-wide {@link TableFacts} rules need.
 * Immutable; {@link #withEntries(Map)} shares all unchanged entries (and the ClusterIP index)
 * with this table.
 */
public final class ForwardingTable {
  /** Upstream's default masquerade bit (14), giving mark 0x4000. */
  public static final int DEFAULT_MASQUERADE_BIT = 14;

  private final IpFamily family;
  private final PersistentMap<ServicePortKey, ServiceEntry> entries;
  // How many entries have each ClusterIP: several service ports share one.
  private final PersistentMap<IpAddress, Integer> clusterIpUsers;
  private final TableFacts facts;

  private ForwardingTable(
      IpFamily family,
      PersistentMap<ServicePortKey, ServiceEntry> entries,
      PersistentMap<IpAddress, Integer> clusterIpUsers,
      TableFacts facts) {
    this.family = Objects.requireNonNull(family, "family");
    this.entries = entries;
    this.clusterIpUsers = clusterIpUsers;
    this.facts = Objects.requireNonNull(facts, "facts").checkFamily(family);
  }

  /** An empty table of {@code family} with the given table-wide facts. */
  public static ForwardingTable empty(IpFamily family, TableFacts facts) {
    return new ForwardingTable(family, PersistentMap.empty(), PersistentMap.empty(), facts);
  }

  /** An empty table with no node facts, no detector and the default mark. */
  public static ForwardingTable empty(IpFamily family) {
    return empty(family, TableFacts.DEFAULT);
  }

  /** This table with {@code changes} applied (a null value removes the key). */
  public ForwardingTable withEntries(Map<ServicePortKey, ServiceEntry> changes) {
    Map<IpAddress, Integer> userDelta = new HashMap<>();
    for (Map.Entry<ServicePortKey, ServiceEntry> e : changes.entrySet()) {
      ServiceEntry entry = e.getValue();
      if (entry != null && (!entry.key().equals(e.getKey()) || entry.family() != family)) {
        throw new IllegalArgumentException("entry " + entry.key() + " does not fit key " + e.getKey());
      }
      ServiceEntry old = entries.get(e.getKey());
      if (old != null && old.clusterIp() != null) {
        userDelta.merge(old.clusterIp(), -1, Integer::sum);
      }
      if (entry != null && entry.clusterIp() != null) {
        userDelta.merge(entry.clusterIp(), 1, Integer::sum);
      }
    }
    Map<IpAddress, Integer> userChanges = new HashMap<>();
    userDelta.forEach(
        (ip, delta) -> {
          if (delta != 0) {
            int users = clusterIpUsers.getOrDefault(ip, 0) + delta;
            userChanges.put(ip, users > 0 ? users : null);
          }
        });
    return new ForwardingTable(
        family, entries.with(changes), clusterIpUsers.with(userChanges), facts);
  }

  /** This table's entries with different table-wide facts. */
  public ForwardingTable withFacts(TableFacts facts) {
    return new ForwardingTable(family, entries, clusterIpUsers, facts);
  }

  /** The table-wide facts: node addresses, NodePort addresses, detector, masquerade settings. */
  public TableFacts facts() {
    return facts;
  }

  /** Whether the table-wide facts (everything but the entries) equal {@code other}'s. */
  public boolean sameFacts(ForwardingTable other) {
    return family == other.family && facts.equals(other.facts);
  }

  public IpFamily family() {
    return family;
  }

  /** Every entry, read-only, in unspecified order. */
  public Map<ServicePortKey, ServiceEntry> entries() {
    return entries;
  }

  public ServiceEntry entry(ServicePortKey key) {
    return entries.get(key);
  }

  public int size() {
    return entries.size();
  }

  /** The entries sorted by key: for deterministic full renders. */
  public List<ServiceEntry> sortedEntries() {
    List<ServiceEntry> sorted = new ArrayList<>(entries.values());
    sorted.sort((a, b) -> a.key().compareTo(b.key()));
    return sorted;
  }

  /** The node's own addresses in this family, primary first. */
  public ImmutableList<IpAddress> nodeAddresses() {
    return facts.nodeAddresses();
  }

  /** CIDRs NodePorts are restricted to; empty means every local address. */
  public ImmutableList<Cidr> nodePortAddresses() {
    return facts.nodePortAddresses().cidrs();
  }

  public LocalTrafficDetector localDetector() {
    return facts.localDetector();
  }

  public boolean masqueradeAll() {
    return facts.masqueradeAll();
  }

  /** The packet mark that requests masquerading (1 << masqueradeBit). */
  public int masqueradeMark() {
    return facts.masqueradeMark();
  }

  /**
   * The cluster's service CIDRs in this family, sorted: an address inside them that is not a
   * ClusterIP of this table is unallocated (nftables mode drops traffic to it, as upstream).
   */
  public ImmutableSortedSet<Cidr> serviceCidrs() {
    return facts.serviceCidrs();
  }

  /** Whether {@code address} is a ClusterIP of some service port in this table (O(1)). */
  public boolean isClusterIp(IpAddress address) {
    return clusterIpUsers.containsKey(address);
  }

  /** The distinct ClusterIPs of this table's service ports, read-only, in unspecified order. */
  public Set<IpAddress> clusterIps() {
    return clusterIpUsers.keySet();
  }

  @Override
  public String toString() {
    return "ForwardingTable(" + family + ", " + entries.size() + " service ports)";
  }
}
