package dev.kubeproxy.nftables;

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
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Work follows the change, not the cluster: the transaction for one endpoint change has the
 * same, small size at 1k and at 10k services (10 endpoints each).
 */
class NftTransactionSizeTest {
  private static final int ENDPOINTS = 10;

  /** Sizes of: one endpoint replaced, one endpoint added, the service deleted. */
  private static List<Integer> changeSizes(int services) {
    NftCompiler compiler = new NftCompiler();
    ForwardingTable table = SampleTables.generated(IpFamily.V4, services, ENDPOINTS, false);
    NftState state = compiler.full(table).state();
    ServiceEntry entry = table.sortedEntries().get(services / 2);
    List<ServiceEndpoint> endpoints = new ArrayList<>(entry.internal().endpoints());
    // 10.99.x sorts after 10.6x.x: the new endpoint keeps the last index, so no others shift.
    endpoints.set(ENDPOINTS - 1, SampleTables.endpoint(IpAddress.parse("10.99.0.1"), 8080, false));
    ServiceEntry replaced = SampleTables.clusterIp(entry.key(), entry.clusterIp(), 80, endpoints);
    endpoints.add(SampleTables.endpoint(IpAddress.parse("10.99.0.2"), 8080, false));
    ServiceEntry grown = SampleTables.clusterIp(entry.key(), entry.clusterIp(), 80, endpoints);
    List<Integer> sizes = new ArrayList<>();
    for (ServiceEntry next : java.util.Arrays.asList(replaced, grown, null)) {
      ForwardingTable after = table.withEntries(java.util.Collections.singletonMap(entry.key(), next));
      TableChange change = new TableChange(IpFamily.V4, table, after, ImmutableSet.of(entry.key()));
      sizes.add(compiler.compile(change, false, state, 0).transaction().size());
    }
    return sizes;
  }

  @Test
  void oneEndpointChangeCostsTheSameAt1kAnd10kServices() {
    List<Integer> small = changeSizes(1_000);
    List<Integer> large = changeSizes(10_000);
    assertThat(large).as("1k: %s, 10k: %s", small, large).isEqualTo(small);
    // Replacing one endpoint: its group element and its hairpin pair, each deleted and added.
    assertThat(large.get(0)).isEqualTo(4);
    // Adding one (to the replaced list): the service moves from group 10 to the new group 11:
    // 10 deletes, 11 adds, 3 hairpin changes, map + chain + rule, the group's masquerading entry
    // chain + its 2 rules, its dispatch verdict deleted and added; no space chain is touched.
    assertThat(large.get(1)).isEqualTo(2 * ENDPOINTS + 1 + 3 + 3 + 3 + 2);
    // Deleting: 10 group elements, its dispatch verdict, its ClusterIP in cluster-ips and in
    // frontend-ips, and 10 hairpins.
    assertThat(large.get(2)).isEqualTo(2 * ENDPOINTS + 3);
  }
}
