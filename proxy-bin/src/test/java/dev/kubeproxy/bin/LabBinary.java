package dev.kubeproxy.bin;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the tests that run the real binary as a child process share. */
final class LabBinary {
  /** The node the binary runs as ({@code --hostname-override}); local pods' endpoints name it. */
  static final String NODE = "lab-node";

  /** The node remote pods' endpoints name. */
  static final String REMOTE_NODE = "lab-rnode";

  private LabBinary() {}

  /** {@code java … -cp <test classpath> Main}, a JVM tuned for a short-lived test child. */
  static List<String> javaCommand() {
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-XX:-UsePerfData",
        "-cp", System.getProperty("java.class.path"), Main.class.getName());
  }

  /**
   * {@code ip netns exec NODE java … Main} with what every binary in the lab's node gets: the
   * node's name, address and cluster CIDR, its servers' addresses ({@code ""} turns one off), and
   * no conntrack table sizing ({@code nf_conntrack_max} is not per network namespace).
   */
  static List<String> inNode(NetnsLab lab, String node, String healthz, String metrics) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", lab.nodeNs()));
    argv.addAll(javaCommand());
    argv.addAll(List.of(
        "--hostname-override", node,
        "--node-ip", NetnsLab.NODE_IP.toString(),
        "--cluster-cidr", NetnsLab.CLUSTER_CIDR.toString(),
        "--healthz-bind-address", healthz,
        "--metrics-bind-address", metrics,
        "--conntrack-max-per-core", "0"));
    return argv;
  }

  /**
   * Stops {@code binary} (SIGTERM, its shutdown path; SIGKILL after {@code grace}) and kills
   * whatever it started (the tools a binary runs, a wrapper's children).
   */
  static void stop(Process binary, Duration grace) throws InterruptedException {
    List<ProcessHandle> children = binary.descendants().toList();
    binary.destroy();
    if (!binary.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      binary.destroyForcibly();
      binary.waitFor(5, TimeUnit.SECONDS);
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  /** The lab node {@code name} as a Node manifest: its pod CIDR and the lab's node IP. */
  static String nodeManifest(String name) {
    return """
        apiVersion: v1
        kind: Node
        metadata:
          name: %s
          labels:
            kubernetes.io/hostname: %s
        spec:
          podCIDR: %s
        status:
          addresses:
            - type: InternalIP
              address: %s
        """
        .formatted(name, name, NetnsLab.LOCAL_POD_CIDR, NetnsLab.NODE_IP);
  }

  /**
   * A Service {@code name} in namespace {@code default} and its one EndpointSlice {@code
   * <name>-1}, built up by the caller and written as one manifest of two documents: the copy of
   * this YAML every lab binary test used to write by hand.
   */
  static ServiceManifest service(String name, Object clusterIp) {
    return new ServiceManifest(name, clusterIp.toString());
  }

  /** Builds a Service and its EndpointSlice manifest; see {@link LabBinary#service}. */
  static final class ServiceManifest {
    private final String name;
    private final String clusterIp;
    private String type = "ClusterIP";
    private final List<String> externalIps = new ArrayList<>();
    private int healthCheckNodePort;
    private final StringBuilder servicePorts = new StringBuilder();
    private final StringBuilder slicePorts = new StringBuilder();
    private final StringBuilder endpoints = new StringBuilder();

    private ServiceManifest(String name, String clusterIp) {
      this.name = name;
      this.clusterIp = clusterIp;
    }

    /** The Service's type: {@code NodePort} or {@code LoadBalancer} (ClusterIP unless set). */
    ServiceManifest type(String type) {
      this.type = type;
      return this;
    }

    /** Adds an external IP. */
    ServiceManifest externalIp(Object ip) {
      externalIps.add(ip.toString());
      return this;
    }

    /** {@code externalTrafficPolicy: Local} with its health check served on {@code nodePort}. */
    ServiceManifest externalLocal(int healthCheckNodePort) {
      checkArgument(healthCheckNodePort > 0, "health check node port %s", healthCheckNodePort);
      this.healthCheckNodePort = healthCheckNodePort;
      return this;
    }

    /** A port without a node port; the slice gets a port of the same name on {@code target}. */
    ServiceManifest port(String portName, String protocol, int port, int target) {
      return port(portName, protocol, port, target, 0);
    }

    /** A port; the slice gets a port of the same name on {@code target}; 0: no node port. */
    ServiceManifest port(String portName, String protocol, int port, int target, int nodePort) {
      servicePorts.append("""
              - name: %s
                protocol: %s
                port: %d
                targetPort: %d
          """.formatted(portName, protocol, port, target));
      if (nodePort != 0) {
        servicePorts.append("      nodePort: %d\n".formatted(nodePort));
      }
      slicePorts.append("""
            - name: %s
              protocol: %s
              port: %d
          """.formatted(portName, protocol, target));
      return this;
    }

    /** Each of {@code lab}'s pods {@code pods} as a ready endpoint on its node. */
    ServiceManifest pods(NetnsLab lab, String... pods) {
      for (String pod : pods) {
        pod(lab.pod(pod), true);
      }
      return this;
    }

    /** {@code pod} as an endpoint on its node: ready, or else serving and terminating. */
    ServiceManifest pod(Pod pod, boolean ready) {
      return endpoint(pod.ipv4(), pod.local() ? NODE : REMOTE_NODE, ready);
    }

    /** An endpoint at {@code address} on {@code node}: ready, or else serving and terminating. */
    ServiceManifest endpoint(Object address, String node, boolean ready) {
      endpoints.append("""
            - addresses: ["%s"]
              conditions: %s
              nodeName: %s
          """.formatted(address, ready ? "{ready: true}"
              : "{ready: false, serving: true, terminating: true}", node));
      return this;
    }

    /** The Service, {@code ---}, and the EndpointSlice. */
    String yaml() {
      checkState(servicePorts.length() > 0, "service %s has no port", name);
      StringBuilder spec = new StringBuilder();
      if (!type.equals("ClusterIP")) {
        spec.append("  type: ").append(type).append('\n');
      }
      spec.append("  clusterIP: ").append(clusterIp).append('\n');
      if (!externalIps.isEmpty()) {
        spec.append("  externalIPs: [\"").append(String.join("\", \"", externalIps))
            .append("\"]\n");
      }
      if (healthCheckNodePort != 0) {
        spec.append("  externalTrafficPolicy: Local\n")
            .append("  healthCheckNodePort: ").append(healthCheckNodePort).append('\n');
      }
      return """
          apiVersion: v1
          kind: Service
          metadata:
            name: %1$s
            namespace: default
          spec:
          %2$s  ports:
          %3$s---
          apiVersion: discovery.k8s.io/v1
          kind: EndpointSlice
          metadata:
            name: %1$s-1
            namespace: default
            labels:
              kubernetes.io/service-name: %1$s
          addressType: IPv4
          ports:
          %4$sendpoints:%5$s"""
          .formatted(name, spec, servicePorts, slicePorts,
              endpoints.length() == 0 ? " []\n" : "\n" + endpoints);
    }
  }
}
