package dev.kubeproxy.api;

/**
 * One entry of a Service's {@code spec.ports}: name (may be empty when the service has one
 * port), protocol, port and nodePort (0 when none).
 */
public record ServicePortSpec(String name, Protocol protocol, int port, int nodePort) {
  public ServicePortSpec {
    name = name == null ? "" : name;
    if (protocol == null) {
      throw new IllegalArgumentException("protocol must be set");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1..65535");
    }
    if (nodePort < 0 || nodePort > 65535) {
      throw new IllegalArgumentException("nodePort " + nodePort + " is outside 0..65535");
    }
  }
}
