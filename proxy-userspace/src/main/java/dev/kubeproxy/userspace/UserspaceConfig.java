package dev.kubeproxy.userspace;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.time.Duration;
import java.util.List;

/**
 * How the userspace proxy carries traffic: the dial timeouts tried in turn for a new TCP
 * connection (one endpoint each), how long an idle UDP session lives and how many a listener
 * keeps at most (each holds a socket; new clients beyond it are dropped), the per-direction
 * buffer bound of a connection, and how many selector threads carry the connections.
 */
public record UserspaceConfig(
    ImmutableList<Duration> dialTimeouts,
    Duration udpIdleTimeout,
    int udpSessionLimit,
    int bufferBytes,
    int threads) {

  /** Upstream's userspace proxier: 250 ms, 500 ms, 1 s, 2 s (EndpointDialTimeouts). */
  public static final ImmutableList<Duration> UPSTREAM_DIAL_TIMEOUTS =
      ImmutableList.of(
          Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2));

  /** Upstream's {@code --udp-timeout} default. */
  public static final Duration UPSTREAM_UDP_IDLE_TIMEOUT = Duration.ofMillis(250);

  public static final int DEFAULT_BUFFER_BYTES = 64 * 1024;

  public static final int DEFAULT_UDP_SESSION_LIMIT = 4096;

  public UserspaceConfig {
    Preconditions.checkArgument(!dialTimeouts.isEmpty(), "at least one dial timeout");
    for (Duration d : dialTimeouts) {
      Preconditions.checkArgument(d.toMillis() > 0, "dial timeout %s must be positive", d);
    }
    Preconditions.checkArgument(udpIdleTimeout.toMillis() > 0, "udp idle timeout must be positive");
    Preconditions.checkArgument(udpSessionLimit >= 1, "udp session limit %s must be positive", udpSessionLimit);
    Preconditions.checkArgument(
        bufferBytes >= 1024 && bufferBytes <= 16 << 20, "buffer of %s bytes outside 1 KiB..16 MiB", bufferBytes);
    Preconditions.checkArgument(threads >= 1 && threads <= 256, "threads %s outside 1..256", threads);
  }

  /** Upstream's timeouts, 4096 UDP sessions, 64 KiB buffers, one selector thread per processor. */
  public static UserspaceConfig defaults() {
    return new UserspaceConfig(
        UPSTREAM_DIAL_TIMEOUTS,
        UPSTREAM_UDP_IDLE_TIMEOUT,
        DEFAULT_UDP_SESSION_LIMIT,
        DEFAULT_BUFFER_BYTES,
        Runtime.getRuntime().availableProcessors());
  }

  public UserspaceConfig withDialTimeouts(List<Duration> timeouts) {
    return new UserspaceConfig(
        ImmutableList.copyOf(timeouts), udpIdleTimeout, udpSessionLimit, bufferBytes, threads);
  }

  public UserspaceConfig withUdpIdleTimeout(Duration timeout) {
    return new UserspaceConfig(dialTimeouts, timeout, udpSessionLimit, bufferBytes, threads);
  }

  public UserspaceConfig withUdpSessionLimit(int limit) {
    return new UserspaceConfig(dialTimeouts, udpIdleTimeout, limit, bufferBytes, threads);
  }

  public UserspaceConfig withBufferBytes(int bytes) {
    return new UserspaceConfig(dialTimeouts, udpIdleTimeout, udpSessionLimit, bytes, threads);
  }

  public UserspaceConfig withThreads(int count) {
    return new UserspaceConfig(dialTimeouts, udpIdleTimeout, udpSessionLimit, bufferBytes, count);
  }
}
