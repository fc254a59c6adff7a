package dev.kubeproxy.model.conntrack;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import java.util.Comparator;
import java.util.Objects;

/**
 * A {@code conntrack -D} filter deleting UDP entries to one frontend answered by one source that
 * does not serve it: to {@code origDst:origDstPort} (a service IP and port) or, with {@code
 * origDst} null, to port {@code origDstPort} on any address (a NodePort), whose reply comes from
 * {@code replySrc:replySrcPort}. Every entry it matches is stale by the same rule that found the
 * entry it was made from, so one filter deletes a whole group in one table walk.
 */
public record ConntrackFilter(
    IpFamily family, IpAddress origDst, int origDstPort, IpAddress replySrc, int replySrcPort)
    implements Comparable<ConntrackFilter> {
  private static final Comparator<ConntrackFilter> ORDER =
      Comparator.comparing(ConntrackFilter::family)
          .thenComparing(ConntrackFilter::origDst, Comparator.nullsFirst(Comparator.naturalOrder()))
          .thenComparingInt(ConntrackFilter::origDstPort)
          .thenComparing(ConntrackFilter::replySrc)
          .thenComparingInt(ConntrackFilter::replySrcPort);

  public ConntrackFilter {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(replySrc, "replySrc");
    checkArgument(origDst == null || origDst.family() == family, "origDst family");
    checkArgument(replySrc.family() == family, "replySrc family");
    checkArgument(origDstPort >= 1 && origDstPort <= 65535, "origDstPort %s", origDstPort);
    checkArgument(replySrcPort >= 0 && replySrcPort <= 65535, "replySrcPort %s", replySrcPort);
  }

  /** Entries like {@code entry}: same service address and port, same reply source and port. */
  public static ConntrackFilter toServiceIp(ConntrackEntry entry) {
    return new ConntrackFilter(entry.family(), entry.origDst(), entry.origDstPort(),
        entry.replySrc(), entry.replySrcPort());
  }

  /** Entries like {@code entry} to its NodePort on any address, same reply source and port. */
  public static ConntrackFilter toNodePort(ConntrackEntry entry) {
    return new ConntrackFilter(entry.family(), null, entry.origDstPort(),
        entry.replySrc(), entry.replySrcPort());
  }

  /** Whether {@code entry} matches this filter (what the kernel tool will test). */
  public boolean matches(ConntrackEntry entry) {
    return entry.protocol().equals("udp")
        && entry.family() == family
        && (origDst == null || origDst.equals(entry.origDst()))
        && entry.origDstPort() == origDstPort
        && entry.replySrc().equals(replySrc)
        && entry.replySrcPort() == replySrcPort;
  }

  /** The {@code conntrack} arguments after {@code -D}, one line of a {@code -R} batch. */
  public ImmutableList<String> deleteArgs() {
    ImmutableList.Builder<String> args = ImmutableList.builder();
    args.add("-D", "-f", family == IpFamily.V4 ? "ipv4" : "ipv6", "-p", "udp");
    if (origDst != null) {
      args.add("--orig-dst", origDst.toString());
    }
    args.add("--orig-port-dst", Integer.toString(origDstPort));
    args.add("--reply-src", replySrc.toString());
    if (replySrcPort != 0) {
      args.add("--reply-port-src", Integer.toString(replySrcPort));
    }
    return args.build();
  }

  @Override
  public int compareTo(ConntrackFilter o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    String to = origDst == null ? "NodePort " + origDstPort : origDst.withPort(origDstPort);
    return "UDP " + to + " answered by " + replySrc.withPort(replySrcPort);
  }
}
