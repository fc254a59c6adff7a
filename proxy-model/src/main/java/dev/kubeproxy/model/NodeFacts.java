package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.LocalTrafficDetector.Mode;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.TableFacts;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facts about this node, in one IP family, that a table depends on beyond the services:
 * its addresses, where NodePorts listen, how local pod traffic is recognised, and the topology
 * facts endpoint selection reads.
 */
record NodeFacts(
    IpFamily family,
    ImmutableList<IpAddress> nodeAddresses,
    NodePortAddresses nodePortAddresses,
    LocalTrafficDetector detector,
    EndpointCategories.Topology topology) {

  private static final Logger LOG = LoggerFactory.getLogger(NodeFacts.class);

  static NodeFacts of(IpFamily family, Node node, ProxyConfig config) {
    ImmutableList<IpAddress> addresses = nodeAddresses(family, node, config);
    return new NodeFacts(
        family,
        addresses,
        config.nodePortAddresses().forFamily(family, addresses.isEmpty() ? null : addresses.get(0)),
        detector(family, node, config),
        new EndpointCategories.Topology(
            config.nodeName(), node == null ? null : node.zone(), config.preferSameNodeHints()));
  }

  /** The node's primary IP in this family (upstream's {@code nodeIP}), or null. */
  IpAddress primaryAddress() {
    return nodeAddresses.isEmpty() ? null : nodeAddresses.get(0);
  }

  /**
   * The table-wide facts: these node facts, the config's masquerade settings and the cluster's
   * service CIDRs of this family.
   */
  TableFacts tableFacts(ProxyConfig config, Collection<Cidr> serviceCidrs) {
    return TableFacts.builder()
        .serviceCidrs(serviceCidrs)
        .nodeAddresses(nodeAddresses)
        .nodePortAddresses(nodePortAddresses)
        .localDetector(detector)
        .masqueradeAll(config.masqueradeAll())
        .masqueradeMark(config.masqueradeMark())
        .build();
  }

  /** An empty table carrying {@link #tableFacts}. */
  ForwardingTable emptyTable(ProxyConfig config, Collection<Cidr> serviceCidrs) {
    return ForwardingTable.empty(family, tableFacts(config, serviceCidrs));
  }

  private static ImmutableList<IpAddress> nodeAddresses(IpFamily family, Node node, ProxyConfig config) {
    ImmutableList<IpAddress> fromNode = node == null ? ImmutableList.of() : ofFamily(node.addresses(), family);
    return fromNode.isEmpty() ? ofFamily(config.nodeIps(), family) : fromNode;
  }

  private static ImmutableList<IpAddress> ofFamily(ImmutableList<IpAddress> all, IpFamily family) {
    return all.stream().filter(a -> a.family() == family).distinct().collect(ImmutableList.toImmutableList());
  }

  /**
   * Upstream's per-family local-traffic detector: the first cluster CIDR of the family, the
   * first pod CIDR of the family from the Node, or an interface match; no-op when the mode's
   * input is missing.
   */
  private static LocalTrafficDetector detector(IpFamily family, Node node, ProxyConfig config) {
    Mode mode = config.detectLocalMode();
    switch (mode) {
      case CLUSTER_CIDR:
        return firstOfFamily(mode, config.clusterCidrs(), family);
      case NODE_CIDR:
        return node == null ? LocalTrafficDetector.NONE : firstOfFamily(mode, node.podCidrs(), family);
      case BRIDGE_INTERFACE:
        return byInterface(mode, config.bridgeInterface(), "bridgeInterface");
      case INTERFACE_NAME_PREFIX:
        return byInterface(mode, config.interfaceNamePrefix(), "interfaceNamePrefix");
      default:
        return LocalTrafficDetector.NONE;
    }
  }

  private static LocalTrafficDetector firstOfFamily(Mode mode, ImmutableList<Cidr> cidrs, IpFamily family) {
    for (Cidr c : cidrs) {
      if (c.family() == family) {
        return LocalTrafficDetector.byCidrs(mode, ImmutableList.of(c));
      }
    }
    return LocalTrafficDetector.NONE;
  }

  private static LocalTrafficDetector byInterface(Mode mode, String name, String field) {
    if (name == null || name.isEmpty()) {
      LOG.warn("config: detectLocal.{}: must be set for detectLocalMode {}; no local-traffic detector", field, mode);
      return LocalTrafficDetector.NONE;
    }
    return LocalTrafficDetector.byInterface(mode, name);
  }
}
