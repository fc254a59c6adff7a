package dev.kubeproxy.jmh;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The benchmark workloads of DESIGN §8, generated from a seed so every benchmark sees the same
 * cluster: S 1k services x 10 endpoints, M 10k x 10, W 5k x 50, L 44k x 1. The mix is 70%
 * ClusterIP, 20% NodePort, 10% LoadBalancer; a tenth of the external ones use
 * externalTrafficPolicy Local, one in twenty services has ClientIP affinity, one in three has
 * a second (UDP) port. Endpoints are spread over 100 nodes; this proxy runs on {@link #NODE}.
 */
public final class Workload {
  /** The node the proxy under test runs on. */
  public static final String NODE = "node-0";

  private static final int NODES = 100;
  private static final int FIRST_NODE_PORT = 30000;
  private static final int LAST_NODE_PORT = 32767;

  /** The named shapes of DESIGN §8. */
  public enum Shape {
    S(1_000, 10),
    M(10_000, 10),
    W(5_000, 50),
    L(44_000, 1);

    public final int services;
    public final int endpointsPerService;

    Shape(int services, int endpointsPerService) {
      this.services = services;
      this.endpointsPerService = endpointsPerService;
    }
  }

  private final ImmutableList<Service> services;
  private final ImmutableList<EndpointSlice> slices;
  private final Node node;
  private int generation;

  private Workload(List<Service> services, List<EndpointSlice> slices, Node node) {
    this.services = ImmutableList.copyOf(services);
    this.slices = ImmutableList.copyOf(slices);
    this.node = node;
  }

  public static Workload of(Shape shape) {
    return generate(shape.services, shape.endpointsPerService, 42);
  }

  /** {@code serviceCount} services with {@code endpointsPerService} endpoints each. */
  public static Workload generate(int serviceCount, int endpointsPerService, long seed) {
    Random random = new Random(seed);
    List<Service> services = new ArrayList<>(serviceCount);
    List<EndpointSlice> slices = new ArrayList<>(serviceCount);
    int nextNodePort = FIRST_NODE_PORT;
    for (int i = 0; i < serviceCount; i++) {
      String name = "svc-" + i;
      String namespace = "ns-" + (i % 50);
      int kind = random.nextInt(10);
      boolean wantsNodePort = kind >= 7;
      boolean loadBalancer = kind == 9;
      boolean secondPort = random.nextInt(3) == 0;
      int nodePortsNeeded = secondPort ? 2 : 1;
      if (wantsNodePort && nextNodePort + nodePortsNeeded - 1 > LAST_NODE_PORT) {
        wantsNodePort = false; // the NodePort range is exhausted at L: fall back to ClusterIP
        loadBalancer = false;
      }
      Service.Builder service =
          Service.builder(namespace, name)
              .type(loadBalancer ? "LoadBalancer" : wantsNodePort ? "NodePort" : "ClusterIP")
              .clusterIp(address(10, 96 << 16 | i))
              .port("http", "TCP", 80, wantsNodePort ? nextNodePort++ : 0);
      if (secondPort) {
        service.port("dns", "UDP", 53, wantsNodePort ? nextNodePort++ : 0);
      }
      if (loadBalancer) {
        service.loadBalancerIngress(address(198, 18 << 16 | i));
      }
      if (wantsNodePort && random.nextInt(10) == 0) {
        service.externalTrafficPolicy("Local");
        if (loadBalancer) {
          service.healthCheckNodePort(nextNodePort <= LAST_NODE_PORT ? nextNodePort++ : 0);
        }
      }
      if (random.nextInt(20) == 0) {
        service.sessionAffinity("ClientIP", 10800);
      }
      services.add(service.build());
      slices.add(slice(namespace, name, i, endpointsPerService, secondPort, random, 0));
    }
    Node node =
        new Node(
            NODE,
            ImmutableList.of(IpAddress.parse("192.0.2.1")),
            ImmutableMap.of(Node.LABEL_ZONE, "zone-a"),
            ImmutableList.of(Cidr.parse("10.64.0.0/24")));
    return new Workload(services, slices, node);
  }

  /**
   * The data-path workload: {@code serviceCount} ClusterIP services (TCP port 80 to 8080), service
   * i with {@code i % groups + 1} endpoints, so there are {@code groups} endpoint-count groups.
   * Service i has ClusterIP {@code 10.96.0.0 + i + 1}; endpoints are distinct addresses in
   * 10.65.0.0/16; the node's pod CIDR is 10.64.0.0/24. The first service of each group g also has
   * ExternalIP {@link #groupsExternalIp}(g); the second is a NodePort service (eTP=Cluster) with
   * NodePort {@link #groupsNodePort}(g); the third has ClientIP affinity (default timeout), at
   * {@link #groupsAffinityClusterIp}: one of each per group, when there are that many services.
   */
  public static Workload groups(int serviceCount, int groups) {
    Preconditions.checkArgument(serviceCount > 0 && groups > 0, "%s services, %s groups",
        serviceCount, groups);
    List<Service> services = new ArrayList<>(serviceCount);
    List<EndpointSlice> slices = new ArrayList<>(serviceCount);
    int host = 1;
    for (int i = 0; i < serviceCount; i++) {
      String name = "svc-" + i;
      String namespace = "ns-" + (i % 50);
      boolean nodePort = i / groups == 1;
      Service.Builder service = Service.builder(namespace, name)
          .type(nodePort ? "NodePort" : "ClusterIP")
          .clusterIp(groupsClusterIp(i))
          .port("http", "TCP", 80, nodePort ? groupsNodePort(i % groups) : 0);
      if (i / groups == 2) {
        service.sessionAffinity("ClientIP", null);
      }
      if (i < groups) {
        // The first service of each group also has an ExternalIP (externalTrafficPolicy
        // Cluster: masqueraded), for the data path's external case.
        service.externalIp(groupsExternalIp(i));
      }
      services.add(service.build());
      EndpointSlice.Builder slice = EndpointSlice.builder(namespace, name + "-slice")
          .serviceName(name)
          .port("http", "TCP", 8080);
      for (int e = 0; e <= i % groups; e++) {
        Preconditions.checkArgument(host < 0xfff0, "too many endpoints for 10.65.0.0/16");
        slice.endpoint(address(10, 65 << 16 | host++), "node-" + (e % NODES));
      }
      slices.add(slice.build());
    }
    Node node = new Node(NODE, ImmutableList.of(IpAddress.parse("192.0.2.1")),
        ImmutableMap.of(Node.LABEL_ZONE, "zone-a"), ImmutableList.of(Cidr.parse("10.64.0.0/24")));
    return new Workload(services, slices, node);
  }

  /** The ExternalIP of service {@code index} of {@link #groups}, for the first of each group. */
  public static String groupsExternalIp(int index) {
    return address(198, 18 << 16 | (index + 1));
  }

  /** The NodePort of the NodePort service of group {@code group} of {@link #groups}. */
  public static int groupsNodePort(int group) {
    Preconditions.checkArgument(group >= 0 && FIRST_NODE_PORT + group <= LAST_NODE_PORT,
        "group %s", group);
    return FIRST_NODE_PORT + group;
  }

  /** The ClusterIP of the ClientIP-affinity service of group {@code group} of {@link #groups}. */
  public static String groupsAffinityClusterIp(int groups, int group) {
    Preconditions.checkArgument(group >= 0 && group < groups, "group %s of %s", group, groups);
    return groupsClusterIp(2 * groups + group);
  }

  /** The ClusterIP of service {@code index} of {@link #groups}. */
  public static String groupsClusterIp(int index) {
    return address(10, 96 << 16 | (index + 1));
  }

  private static EndpointSlice slice(
      String namespace,
      String name,
      int index,
      int endpoints,
      boolean secondPort,
      Random random,
      int generation) {
    EndpointSlice.Builder slice =
        EndpointSlice.builder(namespace, name + "-slice")
            .serviceName(name)
            .port("http", "TCP", 8080);
    if (secondPort) {
      slice.port("dns", "UDP", 5353);
    }
    for (int e = 0; e < endpoints; e++) {
      int host = (index * endpoints + e + generation * 7919) % (1 << 22);
      slice.endpoint(address(10, 64 << 16 | host), "node-" + random.nextInt(NODES));
    }
    return slice.build();
  }

  private static String address(int firstOctet, int rest) {
    return firstOctet + "." + (rest >>> 16 & 0xff) + "." + (rest >>> 8 & 0xff) + "." + (rest & 0xff);
  }

  public ImmutableList<Service> services() {
    return services;
  }

  public ImmutableList<EndpointSlice> slices() {
    return slices;
  }

  public Node node() {
    return node;
  }

  /**
   * A copy of service {@code index}'s slice without its last endpoint: the service moves to the
   * next smaller endpoint-count group.
   */
  public EndpointSlice withLastEndpointRemoved(int index) {
    EndpointSlice original = slices.get(index);
    Preconditions.checkArgument(original.endpoints().size() > 1, "slice %s", index);
    EndpointSlice.Builder slice =
        EndpointSlice.builder(original.id().namespace(), original.id().name())
            .serviceName(original.serviceName());
    original.ports().forEach(p -> slice.port(p.name(), p.protocol().name(), p.port()));
    for (int e = 0; e < original.endpoints().size() - 1; e++) {
      var endpoint = original.endpoints().get(e);
      slice.endpoint(endpoint.address().toString(), endpoint.nodeName());
    }
    return slice.build();
  }

  /** The index of the {@code n}-th (from 0) ClusterIP service without session affinity. */
  public int plainClusterIp(int n) {
    int seen = 0;
    for (int i = 0; i < services.size(); i++) {
      Service s = services.get(i);
      if (s.type() == dev.kubeproxy.api.ServiceType.CLUSTER_IP
          && !s.sessionAffinity().clientIp() && seen++ == n) {
        return i;
      }
    }
    throw new IllegalStateException("fewer than " + (n + 1) + " plain ClusterIP services");
  }

  /**
   * A copy of service {@code index}'s slice whose first endpoint moved to a new address: the
   * "one endpoint changed" event of the incremental benchmarks. Successive calls differ.
   */
  public EndpointSlice withOneEndpointChanged(int index) {
    EndpointSlice original = slices.get(index);
    generation++;
    EndpointSlice.Builder slice =
        EndpointSlice.builder(original.id().namespace(), original.id().name())
            .serviceName(original.serviceName());
    original.ports().forEach(p -> slice.port(p.name(), p.protocol().name(), p.port()));
    for (int e = 0; e < original.endpoints().size(); e++) {
      var endpoint = original.endpoints().get(e);
      String address = endpoint.address().toString();
      if (e == 0) {
        // 10.128.0.0/9 is never used by the generator, so the new address is unique.
        address = address(10, 128 << 16 | (generation % (1 << 23)));
      }
      slice.endpoint(address, endpoint.nodeName());
    }
    return slice.build();
  }
}
