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

  /** Starts a builder for the Node {@code name}; {@link Builder#build()} validates. */
  public static Builder builder(String name) {
    return new Builder(name);
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

  /**
   * Collects a Node's raw fields as the API has them; {@link #build()} validates them as the API
   * server does and keeps the InternalIP addresses, then the ExternalIP ones, in order. An
   * unknown address type (a typo such as {@code Internalip}) is refused by name rather than
   * silently dropping a family.
   */
  public static final class Builder {
    /** The address types of a v1 Node. */
    public static final java.util.Set<String> ADDRESS_TYPES =
        java.util.Set.of("Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS");

    private final String name;
    private final java.util.List<String[]> addresses = new java.util.ArrayList<>();
    private final java.util.Map<String, String> labels = new java.util.LinkedHashMap<>();
    private final java.util.List<String> podCidrs = new java.util.ArrayList<>();
    private String podCidr;
    private boolean beingDeleted;

    private Builder(String name) {
      this.name = name;
    }

    /** Adds a {@code status.addresses} entry of {@code type} (e.g. {@code InternalIP}). */
    public Builder address(String type, String address) {
      addresses.add(new String[] {type, address});
      return this;
    }

    public Builder label(String key, String value) {
      labels.put(key, value);
      return this;
    }

    /** Adds a {@code spec.podCIDRs} entry. */
    public Builder podCidr(String cidr) {
      podCidrs.add(cidr);
      return this;
    }

    /** The old single {@code spec.podCIDR}, used only when {@code spec.podCIDRs} is empty. */
    public Builder legacyPodCidr(String cidr) {
      this.podCidr = cidr;
      return this;
    }

    public Builder beingDeleted(boolean beingDeleted) {
      this.beingDeleted = beingDeleted;
      return this;
    }

    public Node build() {
      String object = "Node " + KubernetesNames.printable(name);
      if (name == null || name.isEmpty()) {
        throw new InvalidObjectException(object, "metadata.name", "must not be empty");
      }
      KubernetesNames.checkDns1123Subdomain(name, object, "metadata.name");
      ImmutableList.Builder<IpAddress> internal = ImmutableList.builder();
      ImmutableList.Builder<IpAddress> external = ImmutableList.builder();
      for (int i = 0; i < addresses.size(); i++) {
        String type = addresses.get(i)[0];
        String field = "status.addresses[" + i + "]";
        if (!ADDRESS_TYPES.contains(type)) {
          throw new InvalidObjectException(
              object,
              field + ".type",
              "unknown address type " + KubernetesNames.quote(type) + " (one of "
                  + "Hostname, InternalIP, ExternalIP, InternalDNS, ExternalDNS)");
        }
        if ("InternalIP".equals(type)) {
          internal.add(IpAddress.parse(addresses.get(i)[1], object, field + ".address"));
        } else if ("ExternalIP".equals(type)) {
          external.add(IpAddress.parse(addresses.get(i)[1], object, field + ".address"));
        }
      }
      ImmutableList.Builder<Cidr> cidrs = ImmutableList.builder();
      for (int i = 0; i < podCidrs.size(); i++) {
        cidrs.add(Cidr.parse(podCidrs.get(i), object, "spec.podCIDRs[" + i + "]"));
      }
      if (podCidrs.isEmpty() && podCidr != null && !podCidr.isEmpty()) {
        cidrs.add(Cidr.parse(podCidr, object, "spec.podCIDR"));
      }
      return new Node(
          name,
          ImmutableList.<IpAddress>builder().addAll(internal.build()).addAll(external.build()).build(),
          ImmutableMap.copyOf(labels),
          cidrs.build(),
          beingDeleted);
    }
  }
}
