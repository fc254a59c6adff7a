package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;

/** The family-specific spellings of rules: {@code ip} or {@code ip6}, address types, loopback. */
final class FamilySyntax {
  private final IpFamily family;

  FamilySyntax(IpFamily family) {
    this.family = family;
  }

  /** {@code ip} or {@code ip6}, the payload protocol of addresses in rules. */
  String ip() {
    return family == IpFamily.V4 ? "ip" : "ip6";
  }

  /**
   * Whether ClientIP affinity carries a remembered client's slot in {@code meta mark}
   * ({@link AffinityObjects}): IPv4 only, since nft 1.0.6 aborts (netlink_linearize.c:799,
   * {@code dreg < ctx->reg_low}) on a packet-path update of a map keyed {@code ip6 saddr . ip6
   * daddr . th dport}; IPv6 walks the slots.
   */
  boolean carriesAffinitySlotInMark() {
    return family == IpFamily.V4;
  }

  String addressType() {
    return family == IpFamily.V4 ? "ipv4_addr" : "ipv6_addr";
  }

  /** The loopback range NodePorts never answer on. */
  String loopback() {
    return family == IpFamily.V4 ? "127.0.0.0/8" : "::1";
  }

  /** The expression of a frontend key: destination address, protocol, destination port. */
  String addressKey() {
    return ip() + " daddr . meta l4proto . th dport";
  }

  /** The expression of a NodePort key: protocol, destination port. */
  static String portKey() {
    return "meta l4proto . th dport";
  }

  /** An endpoint as a DNAT target: {@code 10.0.0.1:80} or {@code [fd00::1]:80}. */
  static String dnatTarget(IpAddress address, int port) {
    return address.withPort(port);
  }

  /** A set literal of CIDRs: {@code { 10.0.0.0/8, 192.168.0.0/16 }}. */
  static String cidrSet(Iterable<Cidr> cidrs) {
    StringBuilder out = new StringBuilder("{ ");
    boolean first = true;
    for (Cidr c : cidrs) {
      out.append(first ? "" : ", ").append(c);
      first = false;
    }
    return out.append(" }").toString();
  }

  /**
   * The match for traffic from local pods per the detector ({@code negate}: from elsewhere), or
   * null when there is no detector.
   */
  String podSource(LocalTrafficDetector detector, boolean negate) {
    String op = negate ? "!= " : "";
    return switch (detector.mode()) {
      case NONE -> null;
      case CLUSTER_CIDR, NODE_CIDR -> {
        for (Cidr c : detector.cidrs()) {
          checkArgument(c.family() == family, "detector CIDR %s is not %s", c, family);
        }
        yield ip() + " saddr " + op + cidrSet(detector.cidrs());
      }
      case BRIDGE_INTERFACE -> "iifname " + op + quoteInterface(detector.interfaceName(), false);
      case INTERFACE_NAME_PREFIX -> "iifname " + op + quoteInterface(detector.interfaceName(), true);
    };
  }

  private static String quoteInterface(String name, boolean prefix) {
    checkArgument(name.matches("[A-Za-z0-9_.@-]{1,15}"), "bad interface name '%s'", name);
    return "\"" + name + (prefix ? "*" : "") + "\"";
  }
}
