package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The parts of a discovery.k8s.io/v1 EndpointSlice that kube-proxy reads, validated at
 * construction. The owning service comes from the {@code kubernetes.io/service-name} label.
 */
public final class EndpointSlice {
  public static final String LABEL_SERVICE_NAME = "kubernetes.io/service-name";
  /** The API server's limit on endpoints per slice. */
  public static final int MAX_ENDPOINTS = 1000;
  /** The API server's limit on ports per slice. */
  public static final int MAX_PORTS = 100;

  private final NamespacedName id;
  private final String serviceName;
  private final IpFamily addressFamily;
  private final ImmutableList<EndpointPort> ports;
  private final ImmutableList<SliceEndpoint> endpoints;
  private final ImmutableMap<String, String> labels;

  private EndpointSlice(Builder b) {
    String object = "EndpointSlice " + b.id;
    this.id = b.id;
    this.labels = ImmutableMap.copyOf(b.labels);
    String owner = labels.get(LABEL_SERVICE_NAME);
    if (owner != null && !KubernetesNames.isDns1035Label(owner)) {
      throw new InvalidObjectException(
          object,
          "metadata.labels[" + LABEL_SERVICE_NAME + "]",
          KubernetesNames.quote(owner) + " cannot name a Service (not a DNS-1035 label)");
    }
    this.serviceName = owner;
    if (b.addressType == null || b.addressType.isEmpty()) {
      throw new InvalidObjectException(object, "addressType", "must be set");
    }
    this.addressFamily = IpFamily.fromKubernetesName(b.addressType);
    if (addressFamily == null && !"FQDN".equals(b.addressType)) {
      throw new InvalidObjectException(
          object, "addressType", "unknown address type '" + b.addressType + "'");
    }
    if (b.ports.size() > MAX_PORTS) {
      throw new InvalidObjectException(
          object, "ports", b.ports.size() + " ports; at most " + MAX_PORTS + " are allowed");
    }
    if (b.endpoints.size() > MAX_ENDPOINTS) {
      throw new InvalidObjectException(
          object,
          "endpoints",
          b.endpoints.size() + " endpoints; at most " + MAX_ENDPOINTS + " are allowed");
    }
    ImmutableList.Builder<EndpointPort> portList = ImmutableList.builder();
    Set<String> portNames = new HashSet<>();
    for (int i = 0; i < b.ports.size(); i++) {
      Object[] raw = b.ports.get(i);
      String field = "ports[" + i + "]";
      Protocol protocol = Protocol.parse((String) raw[1], object, field + ".protocol");
      String name = raw[0] == null ? "" : (String) raw[0];
      if (!name.isEmpty()) {
        KubernetesNames.checkDns1123Label(name, object, field + ".name");
      }
      if (!portNames.add(name)) {
        throw new InvalidObjectException(object, field + ".name", "duplicate port name '" + name + "'");
      }
      int port = (Integer) raw[2];
      if (port < 1 || port > 65535) {
        throw new InvalidObjectException(object, field + ".port", port + " is outside 1..65535");
      }
      portList.add(new EndpointPort((String) raw[0], protocol, port));
    }
    this.ports = portList.build();
    ImmutableList.Builder<SliceEndpoint> endpointList = ImmutableList.builder();
    if (addressFamily != null) {
      for (int i = 0; i < b.endpoints.size(); i++) {
        RawEndpoint raw = b.endpoints.get(i);
        String field = "endpoints[" + i + "].addresses[0]";
        if (raw.address == null || raw.address.isEmpty()) {
          throw new InvalidObjectException(object, field, "must be set");
        }
        IpAddress address = IpAddress.parse(raw.address, object, field);
        String special = address.specialRange();
        if (special != null && !(b.allowLoopback && address.isLoopback())) {
          throw new InvalidObjectException(object, field, "'" + address + "' may not be " + special);
        }
        if (address.family() != addressFamily) {
          throw new InvalidObjectException(
              object, field, "'" + raw.address + "' is not of addressType " + b.addressType);
        }
        endpointList.add(
            SliceEndpoint.of(
                address,
                raw.ready,
                raw.serving,
                raw.terminating,
                raw.nodeName,
                raw.zone,
                raw.zoneHints,
                raw.nodeHints));
      }
    }
    this.endpoints = endpointList.build();
  }

  public static Builder builder(String namespace, String name) {
    return new Builder(namespace, name);
  }

  public NamespacedName id() {
    return id;
  }

  /** The owning service's name (same namespace), or null when the label is missing. */
  public String serviceName() {
    return serviceName;
  }

  /** The owning service, or null when the slice has no service-name label. */
  public NamespacedName serviceId() {
    return serviceName == null ? null : NamespacedName.of(id.namespace(), serviceName);
  }

  /** The slice's family, or null for FQDN slices (which kube-proxy ignores). */
  public IpFamily addressFamily() {
    return addressFamily;
  }

  public ImmutableList<EndpointPort> ports() {
    return ports;
  }

  public ImmutableList<SliceEndpoint> endpoints() {
    return endpoints;
  }

  public ImmutableMap<String, String> labels() {
    return labels;
  }

  public String describe() {
    return "EndpointSlice " + id;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof EndpointSlice)) {
      return false;
    }
    EndpointSlice s = (EndpointSlice) o;
    return id.equals(s.id)
        && addressFamily == s.addressFamily
        && ports.equals(s.ports)
        && endpoints.equals(s.endpoints)
        && labels.equals(s.labels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, addressFamily, ports, endpoints);
  }

  @Override
  public String toString() {
    return describe() + " for " + serviceName + " " + ports + " " + endpoints.size() + " endpoints";
  }

  private record RawEndpoint(
      String address,
      Boolean ready,
      Boolean serving,
      Boolean terminating,
      String nodeName,
      String zone,
      ImmutableSet<String> zoneHints,
      ImmutableSet<String> nodeHints) {}

  /** Collects raw field values; {@link #build()} validates them. */
  public static final class Builder {
    private final NamespacedName id;
    private String addressType = "IPv4";
    private final List<Object[]> ports = new ArrayList<>();
    private final List<RawEndpoint> endpoints = new ArrayList<>();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private boolean allowLoopback;

    private Builder(String namespace, String name) {
      String object = KubernetesNames.describe("EndpointSlice", namespace, name);
      if (namespace == null || namespace.isEmpty()) {
        throw new InvalidObjectException(object, "metadata.namespace", "must not be empty");
      }
      if (name == null || name.isEmpty()) {
        throw new InvalidObjectException(object, "metadata.name", "must not be empty");
      }
      KubernetesNames.checkDns1123Label(namespace, object, "metadata.namespace");
      KubernetesNames.checkDns1123Subdomain(name, object, "metadata.name");
      this.id = NamespacedName.of(namespace, name);
    }

    /**
     * Accepts loopback endpoint addresses, which the API server refuses, for embedders whose
     * endpoints are processes on this host (the userspace proxy without privileges). Other
     * special addresses stay refused.
     */
    public Builder allowLoopback() {
      this.allowLoopback = true;
      return this;
    }

    /** Sets the {@code kubernetes.io/service-name} label. */
    public Builder serviceName(String serviceName) {
      labels.put(LABEL_SERVICE_NAME, serviceName);
      return this;
    }

    public Builder label(String key, String value) {
      labels.put(key, value);
      return this;
    }

    /** {@code IPv4} (the default here), {@code IPv6} or {@code FQDN}. */
    public Builder addressType(String addressType) {
      this.addressType = addressType;
      return this;
    }

    public Builder port(String name, String protocol, int port) {
      ports.add(new Object[] {name, protocol, port});
      return this;
    }

    /** Adds a ready endpoint on {@code nodeName}. */
    public Builder endpoint(String address, String nodeName) {
      return endpoint(address, true, true, false, nodeName, null, null, null);
    }

    /** Adds an endpoint; null conditions take the API defaults. */
    public Builder endpoint(
        String address,
        Boolean ready,
        Boolean serving,
        Boolean terminating,
        String nodeName,
        String zone,
        java.util.Collection<String> zoneHints,
        java.util.Collection<String> nodeHints) {
      endpoints.add(
          new RawEndpoint(
              address,
              ready,
              serving,
              terminating,
              nodeName,
              zone,
              zoneHints == null ? null : ImmutableSet.copyOf(zoneHints),
              nodeHints == null ? null : ImmutableSet.copyOf(nodeHints)));
      return this;
    }

    public EndpointSlice build() {
      return new EndpointSlice(this);
    }
  }
}
