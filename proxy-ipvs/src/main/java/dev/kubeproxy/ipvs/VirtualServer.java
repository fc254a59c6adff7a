package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import java.util.Comparator;

/**
 * What identifies an IPVS virtual service in the kernel: address, protocol and port. Renders as the
 * {@code ipvsadm} service option ({@code -t 10.96.0.10:80}).
 */
public record VirtualServer(IpAddress address, Protocol protocol, int port)
    implements Comparable<VirtualServer> {
  private static final Comparator<VirtualServer> ORDER =
      Comparator.comparing(VirtualServer::address)
          .thenComparing(VirtualServer::protocol)
          .thenComparingInt(VirtualServer::port);

  public VirtualServer {
    checkNotNull(address, "address");
    checkNotNull(protocol, "protocol");
    checkArgument(port >= 1 && port <= 65535, "port %s is outside 1..65535", port);
  }

  public static VirtualServer of(IpAddress address, Protocol protocol, int port) {
    return new VirtualServer(address, protocol, port);
  }

  /** The ipvsadm option naming this service, e.g. {@code [-t, 10.96.0.10:80]}. */
  public ImmutableList<String> option() {
    return ImmutableList.of(protocolFlag(protocol), address.withPort(port));
  }

  /** ipvsadm's service-type flag for {@code protocol}. */
  static String protocolFlag(Protocol protocol) {
    return switch (protocol) {
      case TCP -> "-t";
      case UDP -> "-u";
      case SCTP -> "--sctp-service";
    };
  }

  @Override
  public int compareTo(VirtualServer o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return protocol + " " + address.withPort(port);
  }
}
