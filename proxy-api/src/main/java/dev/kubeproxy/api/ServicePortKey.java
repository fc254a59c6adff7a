package dev.kubeproxy.api;

import java.util.Comparator;

/**
 * Identifies one port of one service: the key of the forwarding table. {@link #toString()} is
 * upstream's {@code ServicePortName.String()}: {@code ns/name:port}, or {@code ns/name} for an
 * unnamed port.
 */
public record ServicePortKey(NamespacedName service, String portName, Protocol protocol)
    implements Comparable<ServicePortKey> {
  private static final Comparator<ServicePortKey> ORDER =
      Comparator.comparing(ServicePortKey::service)
          .thenComparing(ServicePortKey::portName)
          .thenComparing(ServicePortKey::protocol);

  public ServicePortKey {
    if (service == null || protocol == null) {
      throw new IllegalArgumentException("service and protocol must be set");
    }
    portName = portName == null ? "" : portName;
  }

  public static ServicePortKey of(String namespace, String name, String portName, Protocol protocol) {
    return new ServicePortKey(NamespacedName.of(namespace, name), portName, protocol);
  }

  @Override
  public int compareTo(ServicePortKey o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return portName.isEmpty() ? service.toString() : service + ":" + portName;
  }
}
