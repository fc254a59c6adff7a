package dev.kubeproxy.bin.kube;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.InvalidObjectException;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;
import dev.kubeproxy.api.ServiceType;
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1ClientIPConfig;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointConditions;
import io.kubernetes.client.openapi.models.V1EndpointHints;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1ForNode;
import io.kubernetes.client.openapi.models.V1ForZone;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeAddress;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceCIDR;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import io.kubernetes.client.openapi.models.V1SessionAffinityConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Converts the official Kubernetes client's model objects (Services, EndpointSlices, Nodes,
 * ServiceCIDRs) into the proxy's own validated types. Shared by every source (manifest files, informers) so that they agree on every field;
 * invalid input throws {@link InvalidObjectException} naming the object and the field.
 */
public final class KubernetesConverter {

  private KubernetesConverter() {}

  /** Converts a v1 Service; headless and ExternalName services convert too (the model skips them). */
  public static Service service(V1Service service) {
    V1ObjectMeta meta = metadata(service.getMetadata());
    Service.Builder b = Service.builder(meta.getNamespace(), meta.getName());
    labels(meta).forEach(b::label);
    V1ServiceSpec spec = service.getSpec();
    if (spec == null) {
      // The builder has checked the names; a Service without a spec is not one the API serves.
      throw new InvalidObjectException(serviceObject(meta), "spec", "must be set");
    }
    b.type(spec.getType());
    // clusterIPs[0] must equal clusterIP when both are set; clusterIP alone is the old form.
    List<String> clusterIps = spec.getClusterIPs();
    if (clusterIps != null && !clusterIps.isEmpty()) {
      String clusterIp = spec.getClusterIP();
      if (clusterIp != null && !clusterIp.isEmpty() && !clusterIp.equals(clusterIps.get(0))) {
        throw new InvalidObjectException(
            serviceObject(meta),
            "spec.clusterIP",
            "'" + clusterIp + "' must equal spec.clusterIPs[0] '" + clusterIps.get(0) + "'");
      }
      clusterIps.forEach(b::clusterIp);
    } else if (spec.getClusterIP() != null) {
      b.clusterIp(spec.getClusterIP());
    }
    for (V1ServicePort port : nullToEmpty(spec.getPorts())) {
      b.port(port.getName(), port.getProtocol(), orZero(port.getPort()), orZero(port.getNodePort()));
    }
    nullToEmpty(spec.getExternalIPs()).forEach(b::externalIp);
    b.externalTrafficPolicy(spec.getExternalTrafficPolicy());
    b.internalTrafficPolicy(spec.getInternalTrafficPolicy());
    b.sessionAffinity(spec.getSessionAffinity(), affinityTimeout(spec.getSessionAffinityConfig()));
    nullToEmpty(spec.getLoadBalancerSourceRanges()).forEach(b::loadBalancerSourceRange);
    b.healthCheckNodePort(orZero(spec.getHealthCheckNodePort()));
    V1ServiceStatus status = service.getStatus();
    if (status != null && status.getLoadBalancer() != null) {
      for (V1LoadBalancerIngress ingress : nullToEmpty(status.getLoadBalancer().getIngress())) {
        b.loadBalancerIngress(ingress.getIp(), ingress.getHostname(), ingress.getIpMode());
      }
    }
    Service converted = b.build();
    if (!converted.headless()
        && converted.type() != ServiceType.EXTERNAL_NAME
        && converted.ports().isEmpty()) {
      // The API server refuses this; an embedder's portless Service simply programs nothing.
      throw new InvalidObjectException(converted.describe(), "spec.ports", "at least one port is required");
    }
    return converted;
  }

  /**
   * Converts a discovery.k8s.io/v1 EndpointSlice. Only each endpoint's first address is used
   * and ports without a number are skipped, as upstream does; unset conditions take the API
   * defaults in the builder.
   */
  public static EndpointSlice endpointSlice(V1EndpointSlice slice) {
    return endpointSlice(slice, false);
  }

  /**
   * As {@link #endpointSlice(V1EndpointSlice)}; {@code allowLoopback} admits loopback endpoint
   * addresses (the API server refuses them; a userspace proxy embedded on a workstation, fed
   * local manifests, needs them).
   */
  public static EndpointSlice endpointSlice(V1EndpointSlice slice, boolean allowLoopback) {
    V1ObjectMeta meta = metadata(slice.getMetadata());
    EndpointSlice.Builder b = EndpointSlice.builder(meta.getNamespace(), meta.getName());
    if (allowLoopback) {
      b.allowLoopback();
    }
    labels(meta).forEach(b::label);
    b.addressType(slice.getAddressType());
    for (DiscoveryV1EndpointPort port : nullToEmpty(slice.getPorts())) {
      if (port.getPort() != null) {
        b.port(port.getName(), port.getProtocol(), port.getPort());
      }
    }
    for (V1Endpoint endpoint : nullToEmpty(slice.getEndpoints())) {
      List<String> addresses = nullToEmpty(endpoint.getAddresses());
      V1EndpointConditions conditions = endpoint.getConditions();
      V1EndpointHints hints = endpoint.getHints();
      b.endpoint(
          addresses.isEmpty() ? null : addresses.get(0),
          conditions == null ? null : conditions.getReady(),
          conditions == null ? null : conditions.getServing(),
          conditions == null ? null : conditions.getTerminating(),
          endpoint.getNodeName(),
          endpoint.getZone(),
          hints == null ? null : names(hints.getForZones(), V1ForZone::getName),
          hints == null ? null : names(hints.getForNodes(), V1ForNode::getName));
    }
    return b.build();
  }

  /**
   * Converts a v1 Node: InternalIP addresses first, then ExternalIP (other address types are
   * not IPs kube-proxy uses); pod CIDRs from {@code spec.podCIDRs}, else {@code spec.podCIDR}.
   */
  public static Node node(V1Node node) {
    V1ObjectMeta meta = node.getMetadata();
    Node.Builder b = Node.builder(meta == null ? null : meta.getName());
    labels(meta).forEach(b::label);
    if (node.getStatus() != null) {
      for (V1NodeAddress address : nullToEmpty(node.getStatus().getAddresses())) {
        b.address(address.getType(), address.getAddress());
      }
    }
    if (node.getSpec() != null) {
      nullToEmpty(node.getSpec().getPodCIDRs()).forEach(b::podCidr);
      b.legacyPodCidr(node.getSpec().getPodCIDR());
    }
    boolean tainted =
        node.getSpec() != null
            && nullToEmpty(node.getSpec().getTaints()).stream()
                .anyMatch(t -> Node.TAINT_TO_BE_DELETED.equals(t.getKey()));
    boolean deleting = meta != null && meta.getDeletionTimestamp() != null;
    return b.beingDeleted(deleting || tainted).build();
  }

  /**
   * Converts a networking.k8s.io/v1 ServiceCIDR: its name and {@code spec.cidrs}, validated as
   * the API server does. Its status (ready, being deleted) is not read: upstream counts every
   * ServiceCIDR object the informer holds.
   */
  public static ServiceCidr serviceCidr(V1ServiceCIDR cidr) {
    V1ObjectMeta meta = metadata(cidr.getMetadata());
    return ServiceCidr.parse(meta.getName(),
        cidr.getSpec() == null ? List.of() : nullToEmpty(cidr.getSpec().getCidrs()));
  }

  private static String serviceObject(V1ObjectMeta meta) {
    return "Service " + meta.getNamespace() + "/" + meta.getName();
  }

  private static V1ObjectMeta metadata(V1ObjectMeta meta) {
    // A missing metadata block is reported by the builders as an empty namespace/name.
    return meta == null ? new V1ObjectMeta() : meta;
  }

  private static Map<String, String> labels(V1ObjectMeta meta) {
    return meta == null || meta.getLabels() == null ? Map.of() : meta.getLabels();
  }

  private static Integer affinityTimeout(V1SessionAffinityConfig config) {
    V1ClientIPConfig clientIp = config == null ? null : config.getClientIP();
    return clientIp == null ? null : clientIp.getTimeoutSeconds();
  }

  /** The names of {@code items} (a null list has none), skipping those without one. */
  private static <T> List<String> names(List<T> items, Function<T, String> nameOf) {
    List<String> names = new ArrayList<>();
    for (T item : nullToEmpty(items)) {
      String name = nameOf.apply(item);
      if (name != null) {
        names.add(name);
      }
    }
    return names;
  }

  private static int orZero(Integer value) {
    return value == null ? 0 : value;
  }

  private static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
