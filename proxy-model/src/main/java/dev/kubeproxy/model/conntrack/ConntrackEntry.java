package dev.kubeproxy.model.conntrack;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import java.util.Objects;

/**
 * One conntrack entry as {@code conntrack -L} lists it: its layer-4 protocol (lowercase, e.g.
 * {@code udp}), the original tuple (the client's packet as sent) and the reply tuple (what the
 * kernel expects back: after DNAT its source is the endpoint). Ports are 0 for protocols without
 * ports.
 */
public record ConntrackEntry(
    String protocol,
    IpAddress origSrc,
    IpAddress origDst,
    int origSrcPort,
    int origDstPort,
    IpAddress replySrc,
    IpAddress replyDst,
    int replySrcPort,
    int replyDstPort) {

  public ConntrackEntry {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(origSrc, "origSrc");
    Objects.requireNonNull(origDst, "origDst");
    Objects.requireNonNull(replySrc, "replySrc");
    Objects.requireNonNull(replyDst, "replyDst");
    IpFamily family = origSrc.family();
    checkArgument(origDst.family() == family && replySrc.family() == family
        && replyDst.family() == family, "addresses of one entry must share a family");
    for (int port : new int[] {origSrcPort, origDstPort, replySrcPort, replyDstPort}) {
      checkArgument(port >= 0 && port <= 65535, "port %s is outside 0..65535", port);
    }
  }

  /** A UDP entry (for tests and the reconciler's callers). */
  public static ConntrackEntry udp(
      String origSrc, int origSrcPort, String origDst, int origDstPort,
      String replySrc, int replySrcPort) {
    return new ConntrackEntry("udp", IpAddress.parse(origSrc), IpAddress.parse(origDst),
        origSrcPort, origDstPort, IpAddress.parse(replySrc), IpAddress.parse(origSrc),
        replySrcPort, origSrcPort);
  }

  public IpFamily family() {
    return origSrc.family();
  }

  @Override
  public String toString() {
    return protocol + " " + origSrc.withPort(origSrcPort) + " -> " + origDst.withPort(origDstPort)
        + " (reply from " + replySrc.withPort(replySrcPort) + ")";
  }
}
