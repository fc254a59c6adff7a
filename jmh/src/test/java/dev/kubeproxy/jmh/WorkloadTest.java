package dev.kubeproxy.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServicePortSpec;
import dev.kubeproxy.api.ServiceType;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.SliceEndpoint;
import dev.kubeproxy.api.TrafficPolicy;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The benchmark workloads are reproducible and have the shape DESIGN §8 documents. */
class WorkloadTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 42, 20240601})
  @DisplayName("the same seed gives the same cluster, another seed a different one")
  void deterministic(long seed) {
    Workload a = Workload.generate(300, 4, seed);
    Workload b = Workload.generate(300, 4, seed);
    Workload other = Workload.generate(300, 4, seed + 1);

    assertThat(a.services()).as("seed %d", seed).isEqualTo(b.services());
    assertThat(a.slices()).as("seed %d", seed).isEqualTo(b.slices());
    assertThat(a.services()).as("seed %d", seed).isNotEqualTo(other.services());
  }

  @ParameterizedTest
  @EnumSource(Workload.Shape.class)
  @DisplayName("each shape has its service and endpoint counts, unique endpoint addresses and valid NodePorts")
  void documentedShape(Workload.Shape shape) {
    Workload workload = Workload.of(shape);

    assertThat(workload.services()).hasSize(shape.services);
    assertThat(workload.slices()).hasSize(shape.services);
    Set<IpAddress> addresses = new HashSet<>();
    for (EndpointSlice slice : workload.slices()) {
      assertThat(slice.endpoints()).hasSize(shape.endpointsPerService);
      slice.endpoints().forEach(e -> addresses.add(e.address()));
    }
    assertThat(addresses).hasSize(shape.services * shape.endpointsPerService);

    Set<Integer> nodePorts = new HashSet<>();
    int nodePortCount = 0;
    for (Service service : workload.services()) {
      for (ServicePortSpec port : service.ports()) {
        if (port.nodePort() != 0) {
          assertThat(port.nodePort()).isBetween(30000, 32767);
          nodePorts.add(port.nodePort());
          nodePortCount++;
        }
      }
      if (service.healthCheckNodePort() != 0) {
        assertThat(service.healthCheckNodePort()).isBetween(30000, 32767);
        nodePorts.add(service.healthCheckNodePort());
        nodePortCount++;
      }
    }
    assertThat(nodePorts).as("NodePorts are allocated once each").hasSize(nodePortCount);
  }

  @Test
  @DisplayName("the mix holds ClusterIP, NodePort and LoadBalancer services, eTP=Local, affinity and dual ports")
  void realisticMix() {
    Workload workload = Workload.of(Workload.Shape.S);

    int clusterIp = 0;
    int nodePort = 0;
    int loadBalancer = 0;
    int local = 0;
    int affinity = 0;
    int dualPort = 0;
    for (Service service : workload.services()) {
      switch (service.type()) {
        case CLUSTER_IP -> clusterIp++;
        case NODE_PORT -> nodePort++;
        case LOAD_BALANCER -> loadBalancer++;
        default -> throw new AssertionError("unexpected type " + service.type());
      }
      local += service.externalTrafficPolicy() == TrafficPolicy.LOCAL ? 1 : 0;
      affinity += service.sessionAffinity().clientIp() ? 1 : 0;
      dualPort += service.ports().size() == 2 ? 1 : 0;
    }
    // 1000 draws: 70/20/10 %, a tenth of the external ones Local, 1 in 20 affinity, 1 in 3 dual.
    assertThat(clusterIp).isBetween(620, 780);
    assertThat(nodePort).isBetween(140, 260);
    assertThat(loadBalancer).isBetween(60, 140);
    assertThat(local).isBetween(10, 60);
    assertThat(affinity).isBetween(25, 80);
    assertThat(dualPort).isBetween(280, 390);
  }

  @Test
  @DisplayName("the data-path workload has per group an ExternalIP, a NodePort and a ClientIP service, and i mod G + 1 endpoints")
  void groups() {
    int groups = 4;
    Workload workload = Workload.groups(20, groups);

    for (int i = 0; i < 20; i++) {
      Service service = workload.services().get(i);
      int group = i % groups;
      assertThat(service.clusterIp(dev.kubeproxy.api.IpFamily.V4))
          .isEqualTo(IpAddress.parse(Workload.groupsClusterIp(i)));
      assertThat(workload.slices().get(i).endpoints()).hasSize(group + 1);
      assertThat(service.externalIps()).as("service %d", i).isEqualTo(i < groups
          ? List.of(IpAddress.parse(Workload.groupsExternalIp(group))) : List.of());
      boolean nodePort = i >= groups && i < 2 * groups;
      assertThat(service.type()).as("service %d", i)
          .isEqualTo(nodePort ? ServiceType.NODE_PORT : ServiceType.CLUSTER_IP);
      assertThat(service.ports()).singleElement().satisfies(p -> {
        assertThat(p.port()).isEqualTo(80);
        assertThat(p.nodePort()).isEqualTo(nodePort ? Workload.groupsNodePort(group) : 0);
      });
      boolean affinity = i >= 2 * groups && i < 3 * groups;
      assertThat(service.sessionAffinity()).as("service %d", i)
          .isEqualTo(affinity ? SessionAffinity.clientIp(10800) : SessionAffinity.NONE);
      if (affinity) {
        assertThat(Workload.groupsAffinityClusterIp(groups, group))
            .isEqualTo(Workload.groupsClusterIp(i));
      }
    }
    assertThat(Workload.groupsNodePort(0)).isEqualTo(30000);
  }

  @Test
  @DisplayName("one endpoint changed moves only the first endpoint, to an address used nowhere else")
  void oneEndpointChanged() {
    Workload workload = Workload.of(Workload.Shape.S);
    Set<IpAddress> used = new HashSet<>();
    workload.slices().forEach(s -> s.endpoints().forEach(e -> used.add(e.address())));

    EndpointSlice original = workload.slices().get(7);
    EndpointSlice first = workload.withOneEndpointChanged(7);
    EndpointSlice second = workload.withOneEndpointChanged(7);

    assertThat(first.id()).isEqualTo(original.id());
    assertThat(first.ports()).isEqualTo(original.ports());
    assertThat(first.endpoints().subList(1, 10)).isEqualTo(original.endpoints().subList(1, 10));
    SliceEndpoint moved = first.endpoints().get(0);
    assertThat(used).doesNotContain(moved.address());
    assertThat(second.endpoints().get(0).address()).isNotEqualTo(moved.address());
  }
}
