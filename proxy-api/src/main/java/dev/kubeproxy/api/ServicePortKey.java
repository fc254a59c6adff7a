package dev.kubeproxy.api;

/**
 * Identifies one port of one service: the key of the forwarding table. {@link #toString()} is
 * upstream's {@code ServicePortName.String()}: {@code ns/name:port}, or {@code ns/name} for an
 * unnamed port.
 *
 * <p>Backends derive kernel object names from keys (upstream's hashed chain names, nftables set
 * names), so a key is held to what keeps those injective whatever its source (the API server's
 * limits, checked again here for embedders): no {@code /} or {@code :} in any part, and at most
 * {@value #MAX_PART} characters each, so no derived name is ever truncated.
 */
public record ServicePortKey(NamespacedName service, String portName, Protocol protocol)
    implements Comparable<ServicePortKey> {
  /** The longest namespace, name or port name (a DNS label's limit). */
  public static final int MAX_PART = 63;

  public ServicePortKey {
    if (service == null || protocol == null) {
      throw new IllegalArgumentException("service and protocol must be set");
    }
    portName = portName == null ? "" : portName;
    for (String part : new String[] {service.namespace(), service.name(), portName}) {
      if (part.indexOf('/') >= 0 || part.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "a service port's namespace, name and port name may not contain '/' or ':': " + part);
      }
    }
    if (service.namespace().length() > MAX_PART || service.name().length() > MAX_PART
        || portName.length() > MAX_PART) {
      throw new IllegalArgumentException(
          "namespace, name and port name are at most " + MAX_PART + " characters: " + service + ":" + portName);
    }
  }

  public static ServicePortKey of(String namespace, String name, String portName, Protocol protocol) {
    return new ServicePortKey(NamespacedName.of(namespace, name), portName, protocol);
  }

  // Written out, as NamespacedName's: the key of every forwarding-table map.
  @Override
  public boolean equals(Object o) {
    return o == this
        || o instanceof ServicePortKey other && protocol == other.protocol
            && portName.equals(other.portName) && service.equals(other.service);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * service.hashCode() + portName.hashCode()) + protocol.hashCode();
  }

  @Override
  public int compareTo(ServicePortKey o) {
    int c = service.compareTo(o.service);
    if (c == 0) {
      c = portName.compareTo(o.portName);
    }
    return c != 0 ? c : protocol.compareTo(o.protocol);
  }

  @Override
  public String toString() {
    return portName.isEmpty() ? service.toString() : service + ":" + portName;
  }
}
