package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.NodePortAddresses;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The static settings of a proxy (upstream's KubeProxyConfiguration, the part the model
 * reads). Build one with {@link #builder(String)}; {@code nodeIps} are used when the Node
 * object gives no addresses, and {@code nodePortAddresses} is resolved per family against the
 * node's primary IPs when a table is built.
 */
public record ProxyConfig(
    String nodeName,
    ImmutableSet<IpFamily> families,
    ImmutableList<IpAddress> nodeIps,
    ImmutableList<Cidr> clusterCidrs,
    LocalTrafficDetector.Mode detectLocalMode,
    String bridgeInterface,
    String interfaceNamePrefix,
    boolean masqueradeAll,
    int masqueradeBit,
    NodePortAddresses nodePortAddresses,
    boolean preferSameNodeHints) {

  public ProxyConfig {
    if (nodeName == null || nodeName.isEmpty()) {
      throw new IllegalArgumentException("nodeName must be set");
    }
    families = families == null || families.isEmpty() ? ImmutableSet.of(IpFamily.V4) : families;
    nodeIps = nodeIps == null ? ImmutableList.of() : nodeIps;
    clusterCidrs = clusterCidrs == null ? ImmutableList.of() : clusterCidrs;
    detectLocalMode = detectLocalMode == null ? LocalTrafficDetector.Mode.NONE : detectLocalMode;
    nodePortAddresses = nodePortAddresses == null ? NodePortAddresses.ALL : nodePortAddresses;
    if (masqueradeBit < 0 || masqueradeBit > 31) {
      throw new IllegalArgumentException("masqueradeBit must be within 0..31, got " + masqueradeBit);
    }
  }

  /** A builder for {@code nodeName}'s settings, starting from {@link #defaults}. */
  public static Builder builder(String nodeName) {
    return new Builder(nodeName);
  }

  /** Defaults for {@code nodeName}: IPv4 only, no detector, mark bit 14, all NodePort addresses. */
  public static ProxyConfig defaults(String nodeName) {
    return builder(nodeName).build();
  }

  /** A builder holding these settings, to change some of them. */
  public Builder toBuilder() {
    return new Builder(nodeName)
        .families(families)
        .nodeIps(nodeIps)
        .clusterCidrs(clusterCidrs)
        .detectLocal(detectLocalMode, bridgeInterface, interfaceNamePrefix)
        .masqueradeAll(masqueradeAll)
        .masqueradeBit(masqueradeBit)
        .nodePortAddresses(nodePortAddresses)
        .preferSameNodeHints(preferSameNodeHints);
  }

  public int masqueradeMark() {
    return 1 << masqueradeBit;
  }

  /**
   * Builds a {@link ProxyConfig} by named settings. Each setter changes only its own setting:
   * in particular {@link #clusterCidrs} does not pick a detector; set {@link #detectLocal}.
   */
  public static final class Builder {
    private final String nodeName;
    private ImmutableSet<IpFamily> families = ImmutableSet.of(IpFamily.V4);
    private ImmutableList<IpAddress> nodeIps = ImmutableList.of();
    private ImmutableList<Cidr> clusterCidrs = ImmutableList.of();
    private LocalTrafficDetector.Mode detectLocalMode = LocalTrafficDetector.Mode.NONE;
    private String bridgeInterface;
    private String interfaceNamePrefix;
    private boolean masqueradeAll;
    private int masqueradeBit = ForwardingTable.DEFAULT_MASQUERADE_BIT;
    private NodePortAddresses nodePortAddresses = NodePortAddresses.ALL;
    private boolean preferSameNodeHints = true;

    private Builder(String nodeName) {
      this.nodeName = nodeName;
    }

    /** The IP families to program; IPv4 when empty. */
    public Builder families(Collection<IpFamily> families) {
      this.families = ImmutableSet.copyOf(families);
      return this;
    }

    public Builder families(IpFamily... families) {
      return families(List.of(families));
    }

    /** The node's IPs (one per family), used when the Node object gives none. */
    public Builder nodeIps(List<IpAddress> ips) {
      this.nodeIps = ImmutableList.copyOf(ips);
      return this;
    }

    /** The cluster's pod CIDRs (the ClusterCIDR detector's input); the mode is not changed. */
    public Builder clusterCidrs(List<Cidr> cidrs) {
      this.clusterCidrs = ImmutableList.copyOf(cidrs);
      return this;
    }

    /** The local-traffic detector mode; the interface names matter only for their modes. */
    public Builder detectLocal(
        LocalTrafficDetector.Mode mode, String bridgeInterface, String interfaceNamePrefix) {
      this.detectLocalMode = Objects.requireNonNull(mode, "mode");
      this.bridgeInterface = bridgeInterface;
      this.interfaceNamePrefix = interfaceNamePrefix;
      return this;
    }

    /** The local-traffic detector mode, with no interface names. */
    public Builder detectLocal(LocalTrafficDetector.Mode mode) {
      return detectLocal(mode, null, null);
    }

    public Builder masqueradeAll(boolean all) {
      this.masqueradeAll = all;
      return this;
    }

    /** The mark bit that requests masquerading (0..31). */
    public Builder masqueradeBit(int bit) {
      this.masqueradeBit = bit;
      return this;
    }

    public Builder nodePortAddresses(NodePortAddresses addresses) {
      this.nodePortAddresses = Objects.requireNonNull(addresses, "nodePortAddresses");
      return this;
    }

    public Builder preferSameNodeHints(boolean prefer) {
      this.preferSameNodeHints = prefer;
      return this;
    }

    public ProxyConfig build() {
      return new ProxyConfig(nodeName, families, nodeIps, clusterCidrs, detectLocalMode,
          bridgeInterface, interfaceNamePrefix, masqueradeAll, masqueradeBit, nodePortAddresses,
          preferSameNodeHints);
    }
  }
}
