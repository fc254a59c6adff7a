package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.SessionAffinity;
import java.time.Duration;
import java.util.List;

/**
 * The IPVS mode's settings, upstream's {@code ipvs.*}: the scheduler of every virtual service (rr
 * by default); how often drained real servers are checked for remaining connections (upstream:
 * every minute); {@code excludeCIDRs}, where virtual services belong to someone else and a full
 * sync leaves them alone; {@code strictARP}; whether this kernel needs {@code conn_reuse_mode=0}
 * (4.1 to 5.8, as upstream decides); and the IPVS TCP, TCP FIN and UDP timeouts (zero: keep the
 * kernel's).
 */
public record IpvsConfig(
    String scheduler,
    Duration gracefulCheckInterval,
    ImmutableList<Cidr> excludeCidrs,
    boolean strictArp,
    boolean connReuseModeZero,
    Duration tcpTimeout,
    Duration tcpFinTimeout,
    Duration udpTimeout) {
  /** The schedulers upstream accepts. */
  public static final ImmutableSet<String> SCHEDULERS =
      ImmutableSet.of("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh");

  public static final IpvsConfig DEFAULT = new IpvsConfig("rr", Duration.ofMinutes(1));

  /** The given scheduler and check interval, everything else as upstream's defaults. */
  public IpvsConfig(String scheduler, Duration gracefulCheckInterval) {
    this(
        scheduler,
        gracefulCheckInterval,
        ImmutableList.of(),
        false,
        false,
        Duration.ZERO,
        Duration.ZERO,
        Duration.ZERO);
  }

  public IpvsConfig {
    scheduler = scheduler == null || scheduler.isEmpty() ? "rr" : scheduler;
    checkArgument(
        SCHEDULERS.contains(scheduler),
        "unknown IPVS scheduler '%s', expected one of %s",
        scheduler,
        SCHEDULERS);
    checkArgument(
        gracefulCheckInterval != null && !gracefulCheckInterval.isNegative(),
        "gracefulCheckInterval must be >= 0");
    excludeCidrs = excludeCidrs == null ? ImmutableList.of() : excludeCidrs;
    for (Duration d : List.of(tcpTimeout, tcpFinTimeout, udpTimeout)) {
      checkArgument(d != null && !d.isNegative(), "IPVS timeouts must be >= 0");
    }
  }

  public static IpvsConfig withScheduler(String scheduler) {
    return new IpvsConfig(scheduler, DEFAULT.gracefulCheckInterval());
  }

  public IpvsConfig withExcludeCidrs(List<Cidr> cidrs) {
    return new IpvsConfig(
        scheduler,
        gracefulCheckInterval,
        ImmutableList.copyOf(cidrs),
        strictArp,
        connReuseModeZero,
        tcpTimeout,
        tcpFinTimeout,
        udpTimeout);
  }

  public IpvsConfig withStrictArp(boolean strict) {
    return new IpvsConfig(
        scheduler,
        gracefulCheckInterval,
        excludeCidrs,
        strict,
        connReuseModeZero,
        tcpTimeout,
        tcpFinTimeout,
        udpTimeout);
  }

  public IpvsConfig withConnReuseModeZero(boolean zero) {
    return new IpvsConfig(
        scheduler,
        gracefulCheckInterval,
        excludeCidrs,
        strictArp,
        zero,
        tcpTimeout,
        tcpFinTimeout,
        udpTimeout);
  }

  public IpvsConfig withTimeouts(Duration tcp, Duration tcpFin, Duration udp) {
    return new IpvsConfig(
        scheduler,
        gracefulCheckInterval,
        excludeCidrs,
        strictArp,
        connReuseModeZero,
        tcp,
        tcpFin,
        udp);
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

  /** The sysctls upstream's IPVS mode sets, with their values. */
  ImmutableMap<String, String> sysctls() {
    ImmutableMap.Builder<String, String> out = ImmutableMap.builder();
    out.put("net.ipv4.vs.conntrack", "1");
    if (connReuseModeZero) {
      out.put("net.ipv4.vs.conn_reuse_mode", "0");
    }
    out.put("net.ipv4.vs.expire_nodest_conn", "1");
    out.put("net.ipv4.vs.expire_quiescent_template", "1");
    out.put("net.ipv4.ip_forward", "1");
    if (strictArp) {
      out.put("net.ipv4.conf.all.arp_ignore", "1");
      out.put("net.ipv4.conf.all.arp_announce", "2");
    }
    return out.buildOrThrow();
  }

  /** The {@code ipvsadm --set} of the timeouts, or null when none is configured. */
  IpvsOp.SetTimeouts timeouts() {
    if (tcpTimeout.isZero() && tcpFinTimeout.isZero() && udpTimeout.isZero()) {
      return null;
    }
    return new IpvsOp.SetTimeouts(
        (int) tcpTimeout.toSeconds(),
        (int) tcpFinTimeout.toSeconds(),
        (int) udpTimeout.toSeconds());
  }

  /**
   * A virtual service's settings for {@code affinity}: ClientIP affinity is persistence with the
   * timeout; {@code mh} also sets the port flag, as upstream's source-hash flag does.
   */
  ServiceConfig serviceConfig(SessionAffinity affinity) {
    return new ServiceConfig(
        scheduler,
        affinity.clientIp() ? affinity.timeoutSeconds() : 0,
        scheduler.equals("mh") ? "mh-port" : "");
  }
}
