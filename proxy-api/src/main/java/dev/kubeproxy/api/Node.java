package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;

/**
 * The facts kube-proxy reads from its own Node: name, addresses (InternalIP first), labels
 * (the zone label drives topology), pod CIDRs (for the NodeCIDR local-traffic detector), and
 * whether it is going away (a deletion timestamp, or the cluster autoscaler's
 * {@code ToBeDeletedByClusterAutoscaler} taint), which makes upstream's {@code /healthz} fail so
 * load balancers drain the node.
 */
public record Node(
    String name,
    ImmutableList<IpAddress> addresses,
    ImmutableMap<String, String> labels,
    ImmutableList<Cidr> podCidrs,
    boolean beingDeleted) {
  public static final String LABEL_ZONE = "topology.kubernetes.io/zone";
  public static final String TAINT_TO_BE_DELETED = "ToBeDeletedByClusterAutoscaler";

  /** A node that is not being deleted. */
  public Node(
      String name,
      ImmutableList<IpAddress> addresses,
      ImmutableMap<String, String> labels,
      ImmutableList<Cidr> podCidrs) {
    this(name, addresses, labels, podCidrs, false);
  }

  public Node {
    if (name == null || name.isEmpty()) {
      throw new InvalidObjectException("Node " + name, "metadata.name", "must not be empty");
    }
    addresses = addresses == null ? ImmutableList.of() : addresses;
    labels = labels == null ? ImmutableMap.of() : labels;
    podCidrs = podCidrs == null ? ImmutableList.of() : podCidrs;
  }

  /** The node's zone ({@code topology.kubernetes.io/zone}), or null. */
  public String zone() {
    return labels.get(LABEL_ZONE);
  }

  /** The first address of {@code family} (the primary IP), or null. */
  public IpAddress primaryAddress(IpFamily family) {
    for (IpAddress a : addresses) {
      if (a.family() == family) {
        return a;
      }
    }
    return null;
  }

  /** Parses raw values, naming the node and the field on failure. */
  public static Node parse(
      String name,
      java.util.List<String> addresses,
      java.util.Map<String, String> labels,
      java.util.List<String> podCidrs) {
    String object = "Node " + name;
    ImmutableList.Builder<IpAddress> a = ImmutableList.builder();
    for (int i = 0; i < addresses.size(); i++) {
      a.add(IpAddress.parse(addresses.get(i), object, "status.addresses[" + i + "].address"));
    }
    ImmutableList.Builder<Cidr> c = ImmutableList.builder();
    for (int i = 0; i < podCidrs.size(); i++) {
      c.add(Cidr.parse(podCidrs.get(i), object, "spec.podCIDRs[" + i + "]"));
    }
    return new Node(name, a.build(), ImmutableMap.copyOf(labels), c.build());
  }
}
