package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The parts of a v1 Service that kube-proxy reads, validated at construction. Build one with
 * {@link #builder(String, String)}; invalid fields throw {@link InvalidObjectException} naming
 * the service and the field.
 */
public final class Service {
  /** Services with this label belong to another proxy and are ignored. */
  public static final String LABEL_SERVICE_PROXY_NAME = "service.kubernetes.io/service-proxy-name";
  /** Services with this label are headless for the proxy and are ignored. */
  public static final String LABEL_HEADLESS = "service.kubernetes.io/headless";

  private final NamespacedName id;
  private final ServiceType type;
  private final boolean headless;
  private final ImmutableList<IpAddress> clusterIps;
  private final ImmutableList<ServicePortSpec> ports;
  private final ImmutableList<IpAddress> externalIps;
  private final ImmutableList<LoadBalancerIngress> loadBalancerIngress;
  private final TrafficPolicy externalTrafficPolicy;
  private final TrafficPolicy internalTrafficPolicy;
  private final SessionAffinity sessionAffinity;
  private final ImmutableList<Cidr> loadBalancerSourceRanges;
  private final int healthCheckNodePort;
  private final ImmutableMap<String, String> labels;

  private Service(Builder b, String object) {
    this.id = b.id;
    this.type = ServiceType.parse(b.type, object, "spec.type");
    List<IpAddress> ips = new ArrayList<>();
    boolean none = b.clusterIps.isEmpty();
    for (int i = 0; i < b.clusterIps.size(); i++) {
      String ip = b.clusterIps.get(i);
      String field = "spec.clusterIPs[" + i + "]";
      if (b.clusterIps.size() == 1 && (ip == null || ip.isEmpty() || "None".equals(ip))) {
        // As upstream: None (or unset) as the only value is a headless service.
        none = true;
        continue;
      }
      if ("None".equals(ip)) {
        throw new InvalidObjectException(object, field, "'None' must be the only ClusterIP");
      }
      if (i >= 2) {
        throw new InvalidObjectException(object, field, "at most two ClusterIPs (one per family)");
      }
      IpAddress parsed = IpAddress.parse(ip, object, field);
      for (IpAddress other : ips) {
        if (other.family() == parsed.family()) {
          throw new InvalidObjectException(
              object, field, "second " + parsed.family() + " ClusterIP");
        }
      }
      ips.add(parsed);
    }
    this.headless = none;
    this.clusterIps = headless ? ImmutableList.of() : ImmutableList.copyOf(ips);

    Set<String> names = new HashSet<>();
    Set<String> portProtocols = new HashSet<>();
    ImmutableList.Builder<ServicePortSpec> portList = ImmutableList.builder();
    for (int i = 0; i < b.ports.size(); i++) {
      RawPort raw = b.ports.get(i);
      String field = "spec.ports[" + i + "]";
      Protocol protocol = Protocol.parse(raw.protocol, object, field + ".protocol");
      String name = raw.name == null ? "" : raw.name;
      if (!name.isEmpty()) {
        KubernetesNames.checkDns1123Label(name, object, field + ".name");
      } else if (b.ports.size() > 1) {
        // As the API server: only a Service's single port may be unnamed.
        throw new InvalidObjectException(
            object, field + ".name", "required when the Service has several ports");
      }
      if (raw.port < 1 || raw.port > 65535) {
        throw new InvalidObjectException(object, field + ".port", raw.port + " is outside 1..65535");
      }
      if (raw.nodePort < 0 || raw.nodePort > 65535) {
        throw new InvalidObjectException(
            object, field + ".nodePort", raw.nodePort + " is outside 0..65535");
      }
      if (raw.nodePort != 0 && type == ServiceType.CLUSTER_IP) {
        throw new InvalidObjectException(
            object, field + ".nodePort", raw.nodePort + " may not be used when type is ClusterIP");
      }
      if (!names.add(name)) {
        throw new InvalidObjectException(object, field + ".name", "duplicate port name '" + name + "'");
      }
      if (!portProtocols.add(raw.port + "/" + protocol)) {
        throw new InvalidObjectException(
            object, field, "duplicate port " + raw.port + "/" + protocol);
      }
      portList.add(new ServicePortSpec(name, protocol, raw.port, raw.nodePort));
    }
    this.ports = portList.build();
    if (ports.isEmpty() && !headless && type != ServiceType.EXTERNAL_NAME) {
      // The API server requires a port on every Service but headless and ExternalName ones.
      throw new InvalidObjectException(object, "spec.ports", "at least one port is required");
    }

    ImmutableList.Builder<IpAddress> external = ImmutableList.builder();
    for (int i = 0; i < b.externalIps.size(); i++) {
      external.add(
          IpAddress.parseNonSpecial(b.externalIps.get(i), object, "spec.externalIPs[" + i + "]"));
    }
    this.externalIps = external.build();

    ImmutableList.Builder<LoadBalancerIngress> ingress = ImmutableList.builder();
    for (int i = 0; i < b.ingress.size(); i++) {
      String[] raw = b.ingress.get(i);
      IpAddress ip =
          raw[0] == null || raw[0].isEmpty()
              ? null
              : IpAddress.parse(raw[0], object, "status.loadBalancer.ingress[" + i + "].ip");
      ingress.add(new LoadBalancerIngress(ip, raw[1], raw[2]));
    }
    this.loadBalancerIngress = ingress.build();

    this.externalTrafficPolicy =
        TrafficPolicy.parse(b.externalTrafficPolicy, object, "spec.externalTrafficPolicy");
    this.internalTrafficPolicy =
        TrafficPolicy.parse(b.internalTrafficPolicy, object, "spec.internalTrafficPolicy");

    if (b.sessionAffinity == null || b.sessionAffinity.isEmpty() || "None".equals(b.sessionAffinity)) {
      this.sessionAffinity = SessionAffinity.NONE;
    } else if ("ClientIP".equals(b.sessionAffinity)) {
      int timeout =
          b.affinityTimeoutSeconds == null
              ? SessionAffinity.DEFAULT_TIMEOUT_SECONDS
              : b.affinityTimeoutSeconds;
      if (timeout < 1 || timeout > SessionAffinity.MAX_TIMEOUT_SECONDS) {
        throw new InvalidObjectException(
            object,
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
            timeout + " is outside 1.." + SessionAffinity.MAX_TIMEOUT_SECONDS);
      }
      this.sessionAffinity = SessionAffinity.clientIp(timeout);
    } else {
      throw new InvalidObjectException(
          object, "spec.sessionAffinity", "unknown session affinity '" + b.sessionAffinity + "'");
    }

    ImmutableList.Builder<Cidr> ranges = ImmutableList.builder();
    for (int i = 0; i < b.sourceRanges.size(); i++) {
      ranges.add(
          Cidr.parse(b.sourceRanges.get(i), object, "spec.loadBalancerSourceRanges[" + i + "]"));
    }
    this.loadBalancerSourceRanges = ranges.build();

    if (b.healthCheckNodePort < 0 || b.healthCheckNodePort > 65535) {
      throw new InvalidObjectException(
          object, "spec.healthCheckNodePort", b.healthCheckNodePort + " is outside 0..65535");
    }
    this.healthCheckNodePort = b.healthCheckNodePort;
    this.labels = ImmutableMap.copyOf(b.labels);
  }

  /** Starts a builder for the Service {@code namespace/name}. */
  public static Builder builder(String namespace, String name) {
    return new Builder(namespace, name);
  }

  public NamespacedName id() {
    return id;
  }

  public ServiceType type() {
    return type;
  }

  /** True when clusterIP is {@code None} or empty: kube-proxy ignores the service. */
  public boolean headless() {
    return headless;
  }

  /** ClusterIPs, at most one per family; empty when headless. */
  public ImmutableList<IpAddress> clusterIps() {
    return clusterIps;
  }

  /** The ClusterIP of {@code family}, or null. */
  public IpAddress clusterIp(IpFamily family) {
    for (IpAddress ip : clusterIps) {
      if (ip.family() == family) {
        return ip;
      }
    }
    return null;
  }

  public ImmutableList<ServicePortSpec> ports() {
    return ports;
  }

  public ImmutableList<IpAddress> externalIps() {
    return externalIps;
  }

  public ImmutableList<LoadBalancerIngress> loadBalancerIngress() {
    return loadBalancerIngress;
  }

  public TrafficPolicy externalTrafficPolicy() {
    return externalTrafficPolicy;
  }

  public TrafficPolicy internalTrafficPolicy() {
    return internalTrafficPolicy;
  }

  public SessionAffinity sessionAffinity() {
    return sessionAffinity;
  }

  public ImmutableList<Cidr> loadBalancerSourceRanges() {
    return loadBalancerSourceRanges;
  }

  /** The health-check NodePort (LoadBalancer with eTP=Local), 0 when none. */
  public int healthCheckNodePort() {
    return healthCheckNodePort;
  }

  public ImmutableMap<String, String> labels() {
    return labels;
  }

  /** A short description for logs: {@code Service ns/name}. */
  public String describe() {
    return "Service " + id;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Service)) {
      return false;
    }
    Service s = (Service) o;
    return id.equals(s.id)
        && type == s.type
        && headless == s.headless
        && clusterIps.equals(s.clusterIps)
        && ports.equals(s.ports)
        && externalIps.equals(s.externalIps)
        && loadBalancerIngress.equals(s.loadBalancerIngress)
        && externalTrafficPolicy == s.externalTrafficPolicy
        && internalTrafficPolicy == s.internalTrafficPolicy
        && sessionAffinity.equals(s.sessionAffinity)
        && loadBalancerSourceRanges.equals(s.loadBalancerSourceRanges)
        && healthCheckNodePort == s.healthCheckNodePort
        && labels.equals(s.labels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, type, clusterIps, ports, externalIps, loadBalancerIngress);
  }

  @Override
  public String toString() {
    return describe() + " " + type.kubernetesName() + " " + clusterIps + " " + ports;
  }

  private record RawPort(String name, String protocol, int port, int nodePort) {}

  /** Collects raw field values (as in the API); {@link #build()} validates them. */
  public static final class Builder {
    private final NamespacedName id;
    private String type;
    private final List<String> clusterIps = new ArrayList<>();
    private final List<RawPort> ports = new ArrayList<>();
    private final List<String> externalIps = new ArrayList<>();
    private final List<String[]> ingress = new ArrayList<>();
    private String externalTrafficPolicy;
    private String internalTrafficPolicy;
    private String sessionAffinity;
    private Integer affinityTimeoutSeconds;
    private final List<String> sourceRanges = new ArrayList<>();
    private int healthCheckNodePort;
    private final Map<String, String> labels = new LinkedHashMap<>();

    private Builder(String namespace, String name) {
      String object = KubernetesNames.describe("Service", namespace, name);
      if (namespace == null || namespace.isEmpty()) {
        throw new InvalidObjectException(object, "metadata.namespace", "must not be empty");
      }
      if (name == null || name.isEmpty()) {
        throw new InvalidObjectException(object, "metadata.name", "must not be empty");
      }
      KubernetesNames.checkDns1123Label(namespace, object, "metadata.namespace");
      KubernetesNames.checkDns1035Label(name, object, "metadata.name");
      this.id = NamespacedName.of(namespace, name);
    }

    /** {@code spec.type} in the Kubernetes spelling, e.g. {@code NodePort}. */
    public Builder type(String type) {
      this.type = type;
      return this;
    }

    public Builder type(ServiceType type) {
      this.type = type.kubernetesName();
      return this;
    }

    /** Adds a ClusterIP ({@code spec.clusterIPs}); {@code None} marks the service headless. */
    public Builder clusterIp(String ip) {
      clusterIps.add(ip);
      return this;
    }

    public Builder port(String name, String protocol, int port) {
      return port(name, protocol, port, 0);
    }

    public Builder port(String name, String protocol, int port, int nodePort) {
      ports.add(new RawPort(name, protocol, port, nodePort));
      return this;
    }

    public Builder externalIp(String ip) {
      externalIps.add(ip);
      return this;
    }

    /** Adds a {@code status.loadBalancer.ingress} point with an IP and no ipMode. */
    public Builder loadBalancerIngress(String ip) {
      return loadBalancerIngress(ip, null, null);
    }

    public Builder loadBalancerIngress(String ip, String hostname, String ipMode) {
      ingress.add(new String[] {ip, hostname, ipMode});
      return this;
    }

    public Builder externalTrafficPolicy(String policy) {
      this.externalTrafficPolicy = policy;
      return this;
    }

    public Builder internalTrafficPolicy(String policy) {
      this.internalTrafficPolicy = policy;
      return this;
    }

    /** {@code spec.sessionAffinity} ({@code None}/{@code ClientIP}) and its timeout, or null. */
    public Builder sessionAffinity(String affinity, Integer timeoutSeconds) {
      this.sessionAffinity = affinity;
      this.affinityTimeoutSeconds = timeoutSeconds;
      return this;
    }

    public Builder loadBalancerSourceRange(String cidr) {
      sourceRanges.add(cidr);
      return this;
    }

    public Builder healthCheckNodePort(int port) {
      this.healthCheckNodePort = port;
      return this;
    }

    public Builder label(String key, String value) {
      labels.put(key, value);
      return this;
    }

    /** Validates and builds; throws {@link InvalidObjectException} naming the bad field. */
    public Service build() {
      return new Service(this, "Service " + id);
    }
  }
}
