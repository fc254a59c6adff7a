package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.SessionAffinity;
import java.time.Duration;

/**
 * The IPVS mode's settings: the scheduler of every virtual service (upstream's {@code
 * ipvs.scheduler}, rr by default), how often drained real servers are checked for remaining
 * connections (upstream checks every minute), and {@code ipvs.excludeCIDRs}: virtual services
 * there belong to someone else and a full sync leaves them alone.
 */
public record IpvsConfig(String scheduler, Duration gracefulCheckInterval,
    ImmutableList<Cidr> excludeCidrs) {
  /** The schedulers upstream accepts. */
  public static final ImmutableSet<String> SCHEDULERS =
      ImmutableSet.of("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh");

  public static final IpvsConfig DEFAULT = new IpvsConfig("rr", Duration.ofMinutes(1));

  /** Settings excluding no CIDR. */
  public IpvsConfig(String scheduler, Duration gracefulCheckInterval) {
    this(scheduler, gracefulCheckInterval, ImmutableList.of());
  }

  public IpvsConfig {
    scheduler = scheduler == null || scheduler.isEmpty() ? "rr" : scheduler;
    checkArgument(SCHEDULERS.contains(scheduler), "unknown IPVS scheduler '%s', expected one of %s",
        scheduler, SCHEDULERS);
    checkArgument(gracefulCheckInterval != null && !gracefulCheckInterval.isNegative(),
        "gracefulCheckInterval must be >= 0");
    excludeCidrs = excludeCidrs == null ? ImmutableList.of() : excludeCidrs;
  }

  public static IpvsConfig withScheduler(String scheduler) {
    return new IpvsConfig(scheduler, DEFAULT.gracefulCheckInterval());
  }

  /** Whether a virtual service on {@code address} is someone else's (inside excludeCIDRs). */
  boolean excluded(IpAddress address) {
    for (Cidr c : excludeCidrs) {
      if (c.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A virtual service's settings for {@code affinity}: ClientIP affinity is persistence with the
   * timeout; {@code mh} also sets the port flag, as upstream's source-hash flag does.
   */
  ServiceConfig serviceConfig(SessionAffinity affinity) {
    return new ServiceConfig(scheduler, affinity.clientIp() ? affinity.timeoutSeconds() : 0,
        scheduler.equals("mh") ? "mh-port" : "");
  }
}
