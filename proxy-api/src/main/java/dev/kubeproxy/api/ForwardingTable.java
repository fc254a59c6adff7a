package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The contract between the model and the backends (DESIGN §4): for one IP family, every
 * service port's {@link ServiceEntry}, plus the table-wide facts rules need. Immutable;
 * {@link #withEntries(Map)} shares all unchanged entries with this table.
 *
 * <p>{@code nodeAddresses} are the node's own addresses in this family (what "local" means to
 * the trace); {@code nodePortAddresses} restricts NodePorts to addresses inside these CIDRs,
 * empty meaning every local address.
 */
public final class ForwardingTable {
  /** Upstream's default masquerade bit (14), giving mark 0x4000. */
  public static final int DEFAULT_MASQUERADE_BIT = 14;

  private final IpFamily family;
  private final PersistentMap<ServicePortKey, ServiceEntry> entries;
  private final ImmutableList<IpAddress> nodeAddresses;
  private final ImmutableList<Cidr> nodePortAddresses;
  private final LocalTrafficDetector localDetector;
  private final boolean masqueradeAll;
  private final int masqueradeMark;

  private ForwardingTable(
      IpFamily family,
      PersistentMap<ServicePortKey, ServiceEntry> entries,
      ImmutableList<IpAddress> nodeAddresses,
      ImmutableList<Cidr> nodePortAddresses,
      LocalTrafficDetector localDetector,
      boolean masqueradeAll,
      int masqueradeMark) {
    this.family = Objects.requireNonNull(family);
    this.entries = entries;
    this.nodeAddresses = nodeAddresses;
    this.nodePortAddresses = nodePortAddresses;
    this.localDetector = Objects.requireNonNull(localDetector);
    this.masqueradeAll = masqueradeAll;
    this.masqueradeMark = masqueradeMark;
    for (IpAddress a : nodeAddresses) {
      if (a.family() != family) {
        throw new IllegalArgumentException("node address " + a + " is not " + family);
      }
    }
    for (Cidr c : nodePortAddresses) {
      if (c.family() != family) {
        throw new IllegalArgumentException("nodePortAddresses " + c + " is not " + family);
      }
    }
  }

  /** An empty table of {@code family} with the given table-wide facts. */
  public static ForwardingTable empty(
      IpFamily family,
      List<IpAddress> nodeAddresses,
      List<Cidr> nodePortAddresses,
      LocalTrafficDetector localDetector,
      boolean masqueradeAll,
      int masqueradeMark) {
    return new ForwardingTable(
        family,
        PersistentMap.empty(),
        ImmutableList.copyOf(nodeAddresses),
        ImmutableList.copyOf(nodePortAddresses),
        localDetector,
        masqueradeAll,
        masqueradeMark);
  }

  /** An empty table with no node facts, no detector and the default mark. */
  public static ForwardingTable empty(IpFamily family) {
    return empty(
        family, List.of(), List.of(), LocalTrafficDetector.NONE, false, 1 << DEFAULT_MASQUERADE_BIT);
  }

  /** This table with {@code changes} applied (a null value removes the key). */
  public ForwardingTable withEntries(Map<ServicePortKey, ServiceEntry> changes) {
    for (Map.Entry<ServicePortKey, ServiceEntry> e : changes.entrySet()) {
      ServiceEntry entry = e.getValue();
      if (entry != null && (!entry.key().equals(e.getKey()) || entry.family() != family)) {
        throw new IllegalArgumentException("entry " + entry.key() + " does not fit key " + e.getKey());
      }
    }
    return new ForwardingTable(
        family,
        entries.with(changes),
        nodeAddresses,
        nodePortAddresses,
        localDetector,
        masqueradeAll,
        masqueradeMark);
  }

  /** This table's entries with different table-wide facts. */
  public ForwardingTable withFacts(
      List<IpAddress> nodeAddresses,
      List<Cidr> nodePortAddresses,
      LocalTrafficDetector localDetector,
      boolean masqueradeAll,
      int masqueradeMark) {
    return new ForwardingTable(
        family,
        entries,
        ImmutableList.copyOf(nodeAddresses),
        ImmutableList.copyOf(nodePortAddresses),
        localDetector,
        masqueradeAll,
        masqueradeMark);
  }

  /** Whether the table-wide facts (everything but the entries) equal {@code other}'s. */
  public boolean sameFacts(ForwardingTable other) {
    return family == other.family
        && nodeAddresses.equals(other.nodeAddresses)
        && nodePortAddresses.equals(other.nodePortAddresses)
        && localDetector.equals(other.localDetector)
        && masqueradeAll == other.masqueradeAll
        && masqueradeMark == other.masqueradeMark;
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

  public ImmutableList<IpAddress> nodeAddresses() {
    return nodeAddresses;
  }

  /** CIDRs NodePorts are restricted to; empty means every local address. */
  public ImmutableList<Cidr> nodePortAddresses() {
    return nodePortAddresses;
  }

  public LocalTrafficDetector localDetector() {
    return localDetector;
  }

  public boolean masqueradeAll() {
    return masqueradeAll;
  }

  /** The packet mark that requests masquerading (1 << masqueradeBit). */
  public int masqueradeMark() {
    return masqueradeMark;
  }

  /** Whether {@code address} is a ClusterIP of some service in this table (O(n)). */
  public boolean isClusterIp(IpAddress address) {
    for (ServiceEntry e : entries.values()) {
      if (address.equals(e.clusterIp())) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "ForwardingTable(" + family + ", " + entries.size() + " service ports)";
  }
}
