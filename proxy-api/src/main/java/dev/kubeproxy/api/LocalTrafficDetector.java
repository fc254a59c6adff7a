package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;

/**
 * How the proxy tells traffic from local pods apart (upstream's {@code detectLocalMode}).
 * {@link Mode#NONE} means no detector: no ClusterIP masquerade for off-cluster sources and no
 * pod short-circuit for externalTrafficPolicy Local.
 */
public record LocalTrafficDetector(Mode mode, ImmutableList<Cidr> cidrs, String interfaceName) {
  /** The detector modes. */
  public enum Mode {
    NONE,
    CLUSTER_CIDR,
    NODE_CIDR,
    BRIDGE_INTERFACE,
    INTERFACE_NAME_PREFIX
  }

  public static final LocalTrafficDetector NONE =
      new LocalTrafficDetector(Mode.NONE, ImmutableList.of(), null);

  public LocalTrafficDetector {
    cidrs = cidrs == null ? ImmutableList.of() : cidrs;
    boolean byCidr = mode == Mode.CLUSTER_CIDR || mode == Mode.NODE_CIDR;
    boolean byInterface = mode == Mode.BRIDGE_INTERFACE || mode == Mode.INTERFACE_NAME_PREFIX;
    if (byCidr && cidrs.isEmpty()) {
      throw new IllegalArgumentException(mode + " detector needs at least one CIDR");
    }
    if (byInterface && (interfaceName == null || interfaceName.isEmpty())) {
      throw new IllegalArgumentException(mode + " detector needs an interface name");
    }
  }

  public static LocalTrafficDetector byCidrs(Mode mode, ImmutableList<Cidr> cidrs) {
    return new LocalTrafficDetector(mode, cidrs, null);
  }

  public static LocalTrafficDetector byInterface(Mode mode, String interfaceName) {
    return new LocalTrafficDetector(mode, ImmutableList.of(), interfaceName);
  }

  public boolean enabled() {
    return mode != Mode.NONE;
  }

  /** Whether a source address counts as a local pod (CIDR modes only). */
  public boolean matchesSource(IpAddress source) {
    for (Cidr c : cidrs) {
      if (c.contains(source)) {
        return true;
      }
    }
    return false;
  }
}
