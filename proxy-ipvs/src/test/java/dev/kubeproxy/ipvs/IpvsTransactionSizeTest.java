package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Work follows the change, not the cluster: the transaction for one endpoint change has the same,
 * small size at 1k and at 10k services (10 endpoints each), and the partial compile reads nothing
 * from the kernel.
 */
class IpvsTransactionSizeTest {
  private static final int ENDPOINTS = 10;

  /** Sizes of: one endpoint replaced, one endpoint added, the service deleted. */
  private static List<Integer> changeSizes(int services) {
    RealServerConnections noReads =
        (family, servers) -> {
          throw new AssertionError("servers that start draining are checked by a later sync");
        };
    IpvsCompiler compiler = new IpvsCompiler(IpvsConfig.DEFAULT, noReads);
    ForwardingTable table = SampleTables.generated(IpFamily.V4, services, ENDPOINTS, false);
    IpvsState state = compiler.full(table, IpvsExisting.nothing(IpFamily.V4), null, 0).state();
    ServiceEntry entry = table.sortedEntries().get(services / 2);
    List<ServiceEndpoint> endpoints = new ArrayList<>(entry.internal().endpoints());
    endpoints.set(0, SampleTables.endpoint(IpAddress.parse("10.99.0.1"), 8080, false));
    ServiceEntry replaced = SampleTables.clusterIp(entry.key(), entry.clusterIp(), 80, endpoints);
    endpoints = new ArrayList<>(entry.internal().endpoints());
    endpoints.add(SampleTables.endpoint(IpAddress.parse("10.99.0.2"), 8080, false));
    ServiceEntry grown = SampleTables.clusterIp(entry.key(), entry.clusterIp(), 80, endpoints);
    List<Integer> sizes = new ArrayList<>();
    for (ServiceEntry next : Arrays.asList(replaced, grown, null)) {
      ForwardingTable after = table.withEntries(Collections.singletonMap(entry.key(), next));
      TableChange change = new TableChange(IpFamily.V4, table, after, ImmutableSet.of(entry.key()));
      sizes.add(compiler.compile(change, false, state, null, 0).transaction().size());
    }
    return sizes;
  }

  @Test
  void oneEndpointChangeCostsTheSameAt1kAnd10kServices() {
    List<Integer> small = changeSizes(1_000);
    List<Integer> large = changeSizes(10_000);
    assertThat(large).as("1k: %s, 10k: %s", small, large).isEqualTo(small);
    // Replacing one (local) endpoint: the old one drains (weight 0), the new one is added, and
    // the old one's hairpin member goes.
    assertThat(large.get(0)).isEqualTo(3);
    // Adding one: one real server.
    assertThat(large.get(1)).isEqualTo(1);
    // Deleting: the virtual service (its real servers go with it), the address, and its
    // ClusterIP, KUBE-IPVS-IPS and 4 hairpin members.
    assertThat(large.get(2)).isEqualTo(1 + 1 + 2 + 4);
  }
}
