package dev.kubeproxy.bin.config;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;

/**
 * The conntrack sysctls kube-proxy sets on start, as upstream's {@code conntrack} settings: the
 * table size from {@code maxPerCore} × CPUs but at least {@code min} (maxPerCore 0 leaves it as it
 * is), and the TCP and UDP timeouts (zero leaves that sysctl as it is); {@code tcpBeLiberal} sets
 * {@code nf_conntrack_tcp_be_liberal}.
 */
public record ConntrackSettings(
    int maxPerCore,
    int min,
    Duration tcpEstablishedTimeout,
    Duration tcpCloseWaitTimeout,
    boolean tcpBeLiberal,
    Duration udpTimeout,
    Duration udpStreamTimeout) {
  /** Upstream's v1alpha1 defaults: 32768 per core, at least 131072, 24h established, 1h close-wait. */
  public static final ConntrackSettings DEFAULTS =
      new ConntrackSettings(
          32 * 1024, 128 * 1024, Duration.ofHours(24), Duration.ofHours(1), false, Duration.ZERO,
          Duration.ZERO);

  public ConntrackSettings {
    checkArgument(maxPerCore >= 0, "maxPerCore %s must not be negative", maxPerCore);
    checkArgument(min >= 0, "min %s must not be negative", min);
    for (Duration d : new Duration[] {tcpEstablishedTimeout, tcpCloseWaitTimeout, udpTimeout, udpStreamTimeout}) {
      checkArgument(d != null && !d.isNegative(), "conntrack timeouts must be set and not negative");
    }
  }

  /**
   * The {@code nf_conntrack_max} to set on a machine with {@code cpus} CPUs, or 0 to leave it as
   * it is (maxPerCore 0), as upstream: {@code max(maxPerCore × cpus, min)}.
   */
  public int max(int cpus) {
    if (maxPerCore == 0) {
      return 0;
    }
    long scaled = (long) maxPerCore * cpus;
    return (int) Math.min(Integer.MAX_VALUE, Math.max(scaled, min));
  }
}
