package dev.kubeproxy.jmh;

import com.google.common.base.Preconditions;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointPort;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.LoadBalancerIngress;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServicePortSpec;
import dev.kubeproxy.api.SliceEndpoint;
import dev.kubeproxy.api.TrafficPolicy;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a {@link Workload} as the YAML manifests the binary reads with {@code --manifests}
 * (a Node file, then Services and EndpointSlices split over a few multi-document files), so a
 * fresh {@code kube-proxy-java} process can be benchmarked on exactly the cluster the in-process
 * benchmarks use.
 */
final class WorkloadManifests {
  private static final int OBJECTS_PER_FILE = 2_000;

  private WorkloadManifests() {}

  /** Writes {@code workload} into the empty directory {@code dir}; returns how many files. */
  static int write(Workload workload, Path dir) throws IOException {
    Preconditions.checkArgument(Files.isDirectory(dir), "not a directory: %s", dir);
    Files.writeString(dir.resolve("00-node.yaml"), node(workload.node()), StandardCharsets.UTF_8);
    int files = 1;
    int count = workload.services().size();
    for (int from = 0; from < count; from += OBJECTS_PER_FILE) {
      Path file = dir.resolve(String.format("%02d-objects.yaml", files));
      try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        for (int i = from; i < Math.min(count, from + OBJECTS_PER_FILE); i++) {
          out.write(service(workload.services().get(i)));
          out.write(slice(workload.slices().get(i)));
        }
      }
      files++;
    }
    return files;
  }

  private static String node(Node node) {
    StringBuilder yaml = new StringBuilder()
        .append("apiVersion: v1\nkind: Node\nmetadata:\n  name: ").append(node.name())
        .append("\n  labels:\n    kubernetes.io/hostname: ").append(node.name()).append('\n');
    node.labels().forEach((k, v) -> yaml.append("    ").append(k).append(": ").append(v).append('\n'));
    yaml.append("spec:\n");
    if (!node.podCidrs().isEmpty()) {
      yaml.append("  podCIDR: ").append(node.podCidrs().get(0)).append("\n  podCIDRs:\n");
      for (Cidr cidr : node.podCidrs()) {
        yaml.append("    - ").append(cidr).append('\n');
      }
    }
    yaml.append("status:\n  addresses:\n");
    for (IpAddress address : node.addresses()) {
      yaml.append("    - type: InternalIP\n      address: ").append(address).append('\n');
    }
    return yaml.toString();
  }

  private static String service(Service service) {
    StringBuilder yaml = new StringBuilder("---\napiVersion: v1\nkind: Service\nmetadata:\n")
        .append("  name: ").append(service.id().name())
        .append("\n  namespace: ").append(service.id().namespace())
        .append("\nspec:\n  type: ").append(service.type().kubernetesName())
        .append("\n  clusterIP: ").append(service.clusterIps().get(0)).append('\n');
    if (service.externalTrafficPolicy() == TrafficPolicy.LOCAL) {
      yaml.append("  externalTrafficPolicy: Local\n");
    }
    if (service.healthCheckNodePort() > 0) {
      yaml.append("  healthCheckNodePort: ").append(service.healthCheckNodePort()).append('\n');
    }
    if (service.sessionAffinity().clientIp()) {
      yaml.append("  sessionAffinity: ClientIP\n  sessionAffinityConfig:\n    clientIP:\n")
          .append("      timeoutSeconds: ").append(service.sessionAffinity().timeoutSeconds())
          .append('\n');
    }
    yaml.append("  ports:\n");
    for (ServicePortSpec port : service.ports()) {
      yaml.append("    - name: ").append(port.name())
          .append("\n      protocol: ").append(port.protocol().name())
          .append("\n      port: ").append(port.port()).append('\n');
      if (port.nodePort() > 0) {
        yaml.append("      nodePort: ").append(port.nodePort()).append('\n');
      }
    }
    if (!service.loadBalancerIngress().isEmpty()) {
      yaml.append("status:\n  loadBalancer:\n    ingress:\n");
      for (LoadBalancerIngress ingress : service.loadBalancerIngress()) {
        yaml.append("      - ip: ").append(ingress.ip()).append('\n');
      }
    }
    return yaml.toString();
  }

  private static String slice(EndpointSlice slice) {
    StringBuilder yaml = new StringBuilder(
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n")
        .append("  name: ").append(slice.id().name())
        .append("\n  namespace: ").append(slice.id().namespace())
        .append("\n  labels:\n    kubernetes.io/service-name: ").append(slice.serviceName())
        .append("\naddressType: ").append(slice.addressFamily() == dev.kubeproxy.api.IpFamily.V6
            ? "IPv6" : "IPv4")
        .append("\nports:\n");
    for (EndpointPort port : slice.ports()) {
      yaml.append("  - name: ").append(port.name())
          .append("\n    protocol: ").append(port.protocol().name())
          .append("\n    port: ").append(port.port()).append('\n');
    }
    yaml.append("endpoints:\n");
    for (SliceEndpoint endpoint : slice.endpoints()) {
      yaml.append("  - addresses: [").append(endpoint.address()).append("]\n")
          .append("    conditions: {ready: ").append(endpoint.ready()).append("}\n")
          .append("    nodeName: ").append(endpoint.nodeName()).append('\n');
    }
    return yaml.toString();
  }
}
