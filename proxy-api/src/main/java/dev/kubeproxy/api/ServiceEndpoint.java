package dev.kubeproxy.api;

/**
 * An endpoint in the forwarding table: where traffic is DNATed to. {@code local} is true when
 * it runs on this node; {@code terminating} is true when it is a serving-but-terminating
 * endpoint used only because no ready one exists. {@link #toString()} is {@code ip:port}, the
 * string upstream orders endpoints by.
 */
public record ServiceEndpoint(IpAddress address, int port, boolean local, boolean terminating)
    implements Comparable<ServiceEndpoint> {
  public ServiceEndpoint {
    if (address == null) {
      throw new IllegalArgumentException("address must be set");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1..65535");
    }
  }

  /** Upstream's load-balancing order: by the {@code ip:port} string. */
  @Override
  public int compareTo(ServiceEndpoint o) {
    return toString().compareTo(o.toString());
  }

  @Override
  public String toString() {
    return address.withPort(port);
  }
}
