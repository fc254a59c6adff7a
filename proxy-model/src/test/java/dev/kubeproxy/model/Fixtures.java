package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Small builders shared by the model tests; namespace {@code ns}, this node {@code node-a}. */
final class Fixtures {
  static final String NODE = "node-a";
  static final ProxyConfig CONFIG = ProxyConfig.defaults(NODE);

  private Fixtures() {}

  /** A ClusterIP service {@code ns/name} at {@code clusterIp} with port {@code http} 80/TCP. */
  static Service.Builder service(String name, String clusterIp) {
    return Service.builder("ns", name).clusterIp(clusterIp).port("http", "TCP", 80);
  }

  /** A slice of {@code ns/service} with port {@code http} 8080/TCP. */
  static EndpointSlice.Builder slice(String name, String service) {
    return EndpointSlice.builder("ns", name).serviceName(service).port("http", "TCP", 8080);
  }

  static NamespacedName id(String name) {
    return NamespacedName.of("ns", name);
  }

  static ServicePortKey key(String service, String port) {
    return ServicePortKey.of("ns", service, port, Protocol.TCP);
  }

  static Node node(String zone, String... addresses) {
    return new Node(
        NODE,
        Arrays.stream(addresses).map(IpAddress::parse).collect(ImmutableList.toImmutableList()),
        zone == null ? ImmutableMap.of() : ImmutableMap.of(Node.LABEL_ZONE, zone),
        ImmutableList.of());
  }

  /** A snapshot holding exactly these objects (slices grouped by their label). */
  static ClusterSnapshot snapshot(Node node, List<Service> services, List<EndpointSlice> slices) {
    Map<NamespacedName, Service> byId = new HashMap<>();
    services.forEach(s -> byId.put(s.id(), s));
    Map<NamespacedName, Map<NamespacedName, EndpointSlice>> grouped = new HashMap<>();
    for (EndpointSlice s : slices) {
      if (s.serviceId() != null) {
        grouped.computeIfAbsent(s.serviceId(), k -> new HashMap<>()).put(s.id(), s);
      }
    }
    Map<NamespacedName, Map<NamespacedName, EndpointSlice>> frozen = new HashMap<>();
    grouped.forEach((k, v) -> frozen.put(k, ImmutableMap.copyOf(v)));
    return new ClusterSnapshot(PersistentMap.copyOf(byId), PersistentMap.copyOf(frozen), node);
  }

  static ClusterSnapshot snapshot(Service service, EndpointSlice... slices) {
    return snapshot(node(null, "192.168.0.10"), List.of(service), List.of(slices));
  }

  static ForwardingTable v4(ClusterSnapshot snapshot) {
    return TableBuilder.build(IpFamily.V4, snapshot, CONFIG);
  }

  /** The single entry of a one-port service {@code ns/name} in {@code table}. */
  static ServiceEntry entry(ForwardingTable table, String name) {
    return table.entry(key(name, "http"));
  }

  /** Endpoints as {@code ip:port} strings, in list order. */
  static List<String> strings(List<ServiceEndpoint> endpoints) {
    return endpoints.stream().map(ServiceEndpoint::toString).collect(Collectors.toList());
  }
}
