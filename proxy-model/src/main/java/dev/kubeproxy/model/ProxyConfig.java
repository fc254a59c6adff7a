package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;

/**
 * The static settings of a proxy (upstream's KubeProxyConfiguration, the part the model
 * reads). {@code nodePortAddresses} holds CIDRs and/or the word {@code primary}; empty means
 * every local address. {@code nodeIps} are used when the Node object gives no addresses.
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
    ImmutableList<String> nodePortAddresses,
    boolean preferSameNodeHints) {

  public ProxyConfig {
    if (nodeName == null || nodeName.isEmpty()) {
      throw new IllegalArgumentException("nodeName must be set");
    }
    families = families == null || families.isEmpty() ? ImmutableSet.of(IpFamily.V4) : families;
    nodeIps = nodeIps == null ? ImmutableList.of() : nodeIps;
    clusterCidrs = clusterCidrs == null ? ImmutableList.of() : clusterCidrs;
    detectLocalMode = detectLocalMode == null ? LocalTrafficDetector.Mode.NONE : detectLocalMode;
    nodePortAddresses = nodePortAddresses == null ? ImmutableList.of() : nodePortAddresses;
    if (masqueradeBit < 0 || masqueradeBit > 31) {
      throw new IllegalArgumentException("masqueradeBit must be within 0..31, got " + masqueradeBit);
    }
    for (String entry : nodePortAddresses) {
      if (!"primary".equals(entry)) {
        Cidr.parse(entry);
      }
    }
  }

  /** Defaults for {@code nodeName}: IPv4 only, no detector, mark bit 14, all NodePort addresses. */
  public static ProxyConfig defaults(String nodeName) {
    return new ProxyConfig(
        nodeName,
        ImmutableSet.of(IpFamily.V4),
        ImmutableList.of(),
        ImmutableList.of(),
        LocalTrafficDetector.Mode.NONE,
        null,
        null,
        false,
        ForwardingTable.DEFAULT_MASQUERADE_BIT,
        ImmutableList.of(),
        true);
  }

  public int masqueradeMark() {
    return 1 << masqueradeBit;
  }

  public ProxyConfig withFamilies(ImmutableSet<IpFamily> f) {
    return new ProxyConfig(nodeName, f, nodeIps, clusterCidrs, detectLocalMode, bridgeInterface,
        interfaceNamePrefix, masqueradeAll, masqueradeBit, nodePortAddresses, preferSameNodeHints);
  }

  public ProxyConfig withNodeIps(ImmutableList<IpAddress> ips) {
    return new ProxyConfig(nodeName, families, ips, clusterCidrs, detectLocalMode, bridgeInterface,
        interfaceNamePrefix, masqueradeAll, masqueradeBit, nodePortAddresses, preferSameNodeHints);
  }

  public ProxyConfig withClusterCidrs(ImmutableList<Cidr> cidrs) {
    return new ProxyConfig(nodeName, families, nodeIps, cidrs, LocalTrafficDetector.Mode.CLUSTER_CIDR,
        bridgeInterface, interfaceNamePrefix, masqueradeAll, masqueradeBit, nodePortAddresses,
        preferSameNodeHints);
  }

  public ProxyConfig withDetectLocal(LocalTrafficDetector.Mode mode, String bridge, String prefix) {
    return new ProxyConfig(nodeName, families, nodeIps, clusterCidrs, mode, bridge, prefix,
        masqueradeAll, masqueradeBit, nodePortAddresses, preferSameNodeHints);
  }

  public ProxyConfig withMasqueradeAll(boolean all) {
    return new ProxyConfig(nodeName, families, nodeIps, clusterCidrs, detectLocalMode,
        bridgeInterface, interfaceNamePrefix, all, masqueradeBit, nodePortAddresses,
        preferSameNodeHints);
  }

  public ProxyConfig withNodePortAddresses(ImmutableList<String> addresses) {
    return new ProxyConfig(nodeName, families, nodeIps, clusterCidrs, detectLocalMode,
        bridgeInterface, interfaceNamePrefix, masqueradeAll, masqueradeBit, addresses,
        preferSameNodeHints);
  }

  public ProxyConfig withPreferSameNodeHints(boolean prefer) {
    return new ProxyConfig(nodeName, families, nodeIps, clusterCidrs, detectLocalMode,
        bridgeInterface, interfaceNamePrefix, masqueradeAll, masqueradeBit, nodePortAddresses,
        prefer);
  }
}
