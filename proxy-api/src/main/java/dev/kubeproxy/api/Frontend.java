package dev.kubeproxy.api;

/**
 * A virtual address of a service port. For {@link FrontendKind#NODE_PORT} the address is null:
 * it means every NodePort address of the node (see {@link ForwardingTable#nodePortAddresses()}).
 */
public record Frontend(FrontendKind kind, IpAddress address, int port, Protocol protocol) {
  public Frontend {
    if (kind == null || protocol == null) {
      throw new IllegalArgumentException("kind and protocol must be set");
    }
    if ((kind == FrontendKind.NODE_PORT) != (address == null)) {
      throw new IllegalArgumentException("NodePort frontends, and only they, have no address");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1..65535");
    }
  }

  public static Frontend nodePort(int port, Protocol protocol) {
    return new Frontend(FrontendKind.NODE_PORT, null, port, protocol);
  }

  @Override
  public String toString() {
    String where = address == null ? "<node>:" + port : address.withPort(port);
    return kind + " " + where + "/" + protocol;
  }
}
