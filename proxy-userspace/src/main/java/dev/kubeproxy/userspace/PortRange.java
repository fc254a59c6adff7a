package dev.kubeproxy.userspace;

import com.google.common.base.Preconditions;
import dev.kubeproxy.api.IpFamily;

/**
 * The ports node-mode listeners take, {@code first..last}; IPv4 listeners take the lower half and
 * IPv6 ones the upper half, because an IPv6 wildcard socket also holds its port for IPv4. The
 * default, 20000..29999, lies below Linux's ephemeral range (32768..60999), so outgoing
 * connections never hold one of them.
 */
public record PortRange(int first, int last) {
  public static final PortRange DEFAULT = new PortRange(20000, 29999);

  public PortRange {
    Preconditions.checkArgument(
        first >= 1024 && last <= 65535 && last - first >= 1, "port range %s..%s must lie in 1024..65535", first, last);
  }

  /** The first port of {@code family}'s half. */
  int firstOf(IpFamily family) {
    return family == IpFamily.V4 ? first : middle() + 1;
  }

  /** The last port of {@code family}'s half. */
  int lastOf(IpFamily family) {
    return family == IpFamily.V4 ? middle() : last;
  }

  private int middle() {
    return first + (last - first) / 2;
  }
}
