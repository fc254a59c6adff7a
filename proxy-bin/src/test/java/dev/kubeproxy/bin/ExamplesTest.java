package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceType;
import dev.kubeproxy.api.TrafficPolicy;
import dev.kubeproxy.bin.manifest.ManifestSnapshot;
import dev.kubeproxy.bin.manifest.ManifestSource;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's run command uses examples/: it must load cleanly and cover every service kind. */
public class ExamplesTest {
  public static final Path EXAMPLES = Path.of("..", "examples");

  @Test
  @DisplayName("examples/ loads with zero problems and holds node-1 and every service type")
  void examplesLoadCleanly() {
    assertThat(Files.isDirectory(EXAMPLES)).as("run from proxy-bin/").isTrue();
    ManifestSnapshot snapshot = new ManifestSource(EXAMPLES, "node-1").load();

    assertThat(snapshot.problems()).isEmpty();
    assertThat(snapshot.node("node-1").primaryAddress(IpFamily.V4))
        .isEqualTo(IpAddress.parse("192.0.2.1"));
    assertThat(snapshot.node("node-1").zone()).isEqualTo("zone-a");
    assertThat(snapshot.services().values())
        .extracting(Service::type)
        .contains(ServiceType.CLUSTER_IP, ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER);
    assertThat(snapshot.services().values()).anyMatch(Service::headless);
    assertThat(snapshot.services().values()).anyMatch(s -> !s.externalIps().isEmpty());
    assertThat(snapshot.services().values()).anyMatch(s -> s.sessionAffinity().clientIp());
    assertThat(snapshot.services().values())
        .anyMatch(s -> s.internalTrafficPolicy() == TrafficPolicy.LOCAL);
    assertThat(snapshot.services().values())
        .anyMatch(s -> s.externalTrafficPolicy() == TrafficPolicy.LOCAL
            && s.healthCheckNodePort() > 0 && !s.loadBalancerSourceRanges().isEmpty()
            && !s.loadBalancerIngress().isEmpty());
    assertThat(snapshot.services().values()).anyMatch(s -> s.clusterIps().size() == 2);
    assertThat(snapshot.slices().values()).anyMatch(s -> s.addressFamily() == IpFamily.V6);
    // A service with no slice at all: no endpoints anywhere.
    NamespacedName empty = NamespacedName.of("default", "empty");
    assertThat(snapshot.services()).containsKey(empty);
    assertThat(snapshot.slices().values()).noneMatch(s -> empty.equals(s.serviceId()));
  }
}
