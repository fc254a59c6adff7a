package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The table-wide facts of a {@link ForwardingTable} (DESIGN §4), in one value so that tables
 * are described by named data: the node's own addresses in the family (what "local" means),
 * where NodePorts answer (every address, or CIDRs: already resolved, never {@code primary}),
 * how local pod traffic is recognised, the masquerade settings every backend reads, and the
 * cluster's service CIDRs in the family (ServiceCIDR objects: ClusterIPs are allocated from them,
 * so an address inside them that no Service holds is unallocated).
 */
public record TableFacts(
    ImmutableList<IpAddress> nodeAddresses,
    NodePortAddresses nodePortAddresses,
    LocalTrafficDetector localDetector,
    boolean masqueradeAll,
    int masqueradeMark,
    ImmutableSortedSet<Cidr> serviceCidrs) {

  /** Upstream's default masquerade mark: bit 14, 0x4000. */
  public static final int DEFAULT_MASQUERADE_MARK = 1 << ForwardingTable.DEFAULT_MASQUERADE_BIT;

  /** No node addresses, NodePorts on every address, no detector, the default mark. */
  public static final TableFacts DEFAULT = builder().build();

  public TableFacts {
    Objects.requireNonNull(nodeAddresses, "nodeAddresses");
    Objects.requireNonNull(nodePortAddresses, "nodePortAddresses");
    Objects.requireNonNull(localDetector, "localDetector");
    Objects.requireNonNull(serviceCidrs, "serviceCidrs");
    if (nodePortAddresses.primary()) {
      throw new IllegalArgumentException(
          "nodePortAddresses 'primary' must be resolved to the node's IPs before it reaches a table");
    }
    if (masqueradeMark == 0 || Integer.bitCount(masqueradeMark) != 1) {
      throw new IllegalArgumentException(
          "masqueradeMark must be a single bit, got 0x" + Integer.toHexString(masqueradeMark));
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these facts, to change some of them. */
  public Builder toBuilder() {
    return new Builder()
        .nodeAddresses(nodeAddresses)
        .nodePortAddresses(nodePortAddresses)
        .localDetector(localDetector)
        .masqueradeAll(masqueradeAll)
        .masqueradeMark(masqueradeMark)
        .serviceCidrs(serviceCidrs);
  }

  /** Checks that every address of these facts belongs to {@code family}. */
  TableFacts checkFamily(IpFamily family) {
    for (IpAddress a : nodeAddresses) {
      if (a.family() != family) {
        throw new IllegalArgumentException("node address " + a + " is not " + family);
      }
    }
    for (Cidr c : nodePortAddresses.cidrs()) {
      if (c.family() != family) {
        throw new IllegalArgumentException("nodePortAddresses " + c + " is not " + family);
      }
    }
    for (Cidr c : serviceCidrs) {
      if (c.family() != family) {
        throw new IllegalArgumentException("service CIDR " + c + " is not " + family);
      }
    }
    return this;
  }

  /** Builds {@link TableFacts}; unset fields take the {@link #DEFAULT} values. */
  public static final class Builder {
    private ImmutableList<IpAddress> nodeAddresses = ImmutableList.of();
    private NodePortAddresses nodePortAddresses = NodePortAddresses.ALL;
    private LocalTrafficDetector localDetector = LocalTrafficDetector.NONE;
    private boolean masqueradeAll;
    private int masqueradeMark = DEFAULT_MASQUERADE_MARK;
    private ImmutableSortedSet<Cidr> serviceCidrs = ImmutableSortedSet.of();

    private Builder() {}

    /** The node's own addresses in the table's family, primary first. */
    public Builder nodeAddresses(List<IpAddress> addresses) {
      this.nodeAddresses = ImmutableList.copyOf(addresses);
      return this;
    }

    /** Where NodePorts answer: {@link NodePortAddresses#ALL} or CIDRs of the family. */
    public Builder nodePortAddresses(NodePortAddresses addresses) {
      this.nodePortAddresses = Objects.requireNonNull(addresses, "nodePortAddresses");
      return this;
    }

    public Builder localDetector(LocalTrafficDetector detector) {
      this.localDetector = Objects.requireNonNull(detector, "localDetector");
      return this;
    }

    /** Whether all ClusterIP traffic is masqueraded. */
    public Builder masqueradeAll(boolean all) {
      this.masqueradeAll = all;
      return this;
    }

    /** The packet mark that requests masquerading ({@code 1 << masqueradeBit}). */
    public Builder masqueradeMark(int mark) {
      this.masqueradeMark = mark;
      return this;
    }

    /**
     * The service CIDRs of the table's family (from every ServiceCIDR object), in any order;
     * duplicates collapse.
     */
    public Builder serviceCidrs(Collection<Cidr> cidrs) {
      this.serviceCidrs = ImmutableSortedSet.copyOf(cidrs);
      return this;
    }

    public TableFacts build() {
      return new TableFacts(
          nodeAddresses, nodePortAddresses, localDetector, masqueradeAll, masqueradeMark,
          serviceCidrs);
    }
  }
}
