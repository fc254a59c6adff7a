package dev.kubeproxy.api;

/** One {@code ports[]} entry of an EndpointSlice; the name matches a Service port's name. */
public record EndpointPort(String name, Protocol protocol, int port) {
  public EndpointPort {
    name = name == null ? "" : name;
    if (protocol == null) {
      throw new IllegalArgumentException("protocol must be set");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1..65535");
    }
  }
}
