package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpAddress;
import java.util.Comparator;

/**
 * What identifies an IPVS real server (destination) in the kernel: its service and address:port.
 */
public record RealServer(VirtualServer service, IpAddress address, int port)
    implements Comparable<RealServer> {
  private static final Comparator<RealServer> ORDER =
      Comparator.comparing(RealServer::service)
          .thenComparing(RealServer::address)
          .thenComparingInt(RealServer::port);

  public RealServer {
    checkNotNull(service, "service");
    checkNotNull(address, "address");
    checkArgument(
        address.family() == service.address().family(),
        "real server %s is not of the family of %s",
        address,
        service);
    checkArgument(port >= 1 && port <= 65535, "port %s is outside 1..65535", port);
  }

  /** The ipvsadm options naming it: {@code -t VIP:port -r IP:port}. */
  public ImmutableList<String> option() {
    return ImmutableList.<String>builder()
        .addAll(service.option())
        .add("-r", address.withPort(port))
        .build();
  }

  @Override
  public int compareTo(RealServer o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return service + " -> " + address.withPort(port);
  }
}
