package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A group of frontends sharing one map and one chain of the same name: an endpoint-count group
 * ({@code service-ips-3}: frontends with 3 endpoints, picked by {@code numgen random mod 3}) or
 * a ClientIP affinity group ({@code service-ips-affinity-tcp-10800-3}: affinity frontends of one
 * protocol and timeout whose endpoints occupy at most 3 slots). The name alone says which, so a
 * map or chain name found in the kernel or in a state is parsed back with {@link #parse}.
 */
record Group(DispatchSpace space, int size, String protocol, int timeoutSeconds) {
  private static final Pattern AFFINITY = Pattern.compile("affinity-(tcp|udp|sctp)-([1-9][0-9]*)-([1-9][0-9]*)");
  private static final Pattern PLAIN = Pattern.compile("[1-9][0-9]*");

  Group {
    checkArgument(size > 0, "a group has at least one endpoint or slot");
    checkArgument(protocol == null || timeoutSeconds > 0, "an affinity group needs a timeout");
  }

  /** The endpoint-count group {@code size} of {@code space}. */
  static Group plain(DispatchSpace space, int size) {
    return new Group(space, size, null, 0);
  }

  /** The affinity group of {@code space} for one protocol, timeout and slot count. */
  static Group affinity(DispatchSpace space, String protocol, int timeoutSeconds, int slots) {
    checkArgument(protocol != null, "an affinity group has a protocol");
    return new Group(space, slots, protocol, timeoutSeconds);
  }

  boolean isAffinity() {
    return protocol != null;
  }

  /** The name of the group's map and chain. */
  String name() {
    return isAffinity()
        ? space.chain() + "-affinity-" + protocol + "-" + timeoutSeconds + "-" + size
        : space.chain() + "-" + size;
  }

  /**
   * Whether the group also has a masquerading entry chain ({@link #masqueradeChain}): only the
   * spaces that hold externalTrafficPolicy=Cluster frontends (the short-circuit spaces serve
   * Local frontends, whose pod and host traffic is marked by the local-policy chains).
   */
  boolean hasMasqueradeChain() {
    return space == DispatchSpace.SERVICE_IPS || space == DispatchSpace.SERVICE_NODEPORTS;
  }

  /**
   * The chain that marks a connection for masquerading and goes on to the group's chain: the
   * dispatch verdict of a frontend whose traffic is always masqueraded, so the decision costs
   * no lookup of its own (issue 13).
   */
  String masqueradeChain() {
    return name() + "-masq";
  }

  /** The group named {@code setName}, or null if it names no group. */
  static Group parse(String setName) {
    for (DispatchSpace space : DispatchSpace.values()) {
      String prefix = space.chain() + "-";
      if (!setName.startsWith(prefix)) {
        continue;
      }
      String rest = setName.substring(prefix.length());
      if (PLAIN.matcher(rest).matches()) {
        return plain(space, Integer.parseInt(rest));
      }
      Matcher m = AFFINITY.matcher(rest);
      if (m.matches()) {
        return affinity(space, m.group(1), Integer.parseInt(m.group(2)),
            Integer.parseInt(m.group(3)));
      }
    }
    return null;
  }
}
