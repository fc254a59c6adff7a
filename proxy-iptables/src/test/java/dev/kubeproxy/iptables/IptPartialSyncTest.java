package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Partial syncs: their restore input does not grow with the number of services, and any
 * sequence of them leaves the (fake) kernel with the same rules as a full sync of the result.
 */
class IptPartialSyncTest {
  /** Chains whose rule order carries no meaning (disjoint matches), compared as sets. */
  private static final Set<String> DISPATCH = Set.of(IptNames.SERVICES, IptNames.NODEPORTS,
      IptNames.EXTERNAL_SERVICES, IptNames.PROXY_FIREWALL, IptNames.CLUSTER_IPS);

  /** Restore bytes of replacing one endpoint of service 500 in an N-service table. */
  private static int oneEndpointChangeBytes(int services) {
    IptCompiler compiler = new IptCompiler();
    ForwardingTable table = SampleTables.generated(IpFamily.V4, services, 10, false);
    IptState state = compiler.full(table).state();
    ServiceEntry entry = SampleTables.generatedEntry(IpFamily.V4, 500, 10, false);
    List<ServiceEndpoint> endpoints = new ArrayList<>(entry.internal().endpoints());
    endpoints.set(9, SampleTables.endpoint(IpAddress.parse("10.99.0.1"), 8080, false));
    ServiceEntry replaced = SampleTables.clusterIp(entry.key(), entry.clusterIp(), 80, endpoints);
    ForwardingTable next = table.withEntries(Map.of(entry.key(), replaced));
    var result = compiler.compile(
        new TableChange(IpFamily.V4, table, next, ImmutableSet.of(entry.key())), false, state);
    return new IptRenderer().render(result.transaction()).getBytes(StandardCharsets.UTF_8).length;
  }

  @Test
  void oneEndpointChangeCostsTheSameAt1kAnd10kServices() {
    int small = oneEndpointChangeBytes(1_000);
    int large = oneEndpointChangeBytes(10_000);
    assertThat(large).isEqualTo(small);
    // The SVC chain rewritten (10 rules), one SEP chain added, one flushed and deleted.
    assertThat(large).isLessThan(3_000);
  }

  @Test
  void partialSyncEditsDispatchRulesOneByOne() {
    IptCompiler compiler = new IptCompiler();
    ForwardingTable table = SampleTables.generated(IpFamily.V4, 100, 2, false);
    IptState state = compiler.full(table).state();
    ServiceEntry added = SampleTables.generatedEntry(IpFamily.V4, 100, 2, false);
    ForwardingTable next = table.withEntries(Map.of(added.key(), added));
    IptTransaction tx = compiler.compile(new TableChange(IpFamily.V4, table, next,
        ImmutableSet.of(added.key())), false, state).transaction();
    String text = new IptRenderer().render(tx);
    assertThat(text).contains("-I KUBE-SERVICES 1 -m comment --comment \"ns0/svc100:p80 cluster IP\"");
    assertThat(text).doesNotContain(":KUBE-SERVICES");
    assertThat(text).doesNotContain("KUBE-POSTROUTING");
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void partialSyncsEqualAFullSync(long seed) throws Exception {
    Random random = new Random(seed);
    FakeIptKernel partialKernel = new FakeIptKernel();
    IptablesBackend backend = new IptablesBackend(partialKernel);
    ForwardingTable table = SampleTables.generated(IpFamily.V4, 40, 3, true);
    backend.sync(SyncRequest.full(TableChange.initial(table)));
    int readsAfterFullSync = partialKernel.reads();
    for (int step = 0; step < 30; step++) {
      Map<ServicePortKey, ServiceEntry> changes = new HashMap<>();
      for (int k = 0; k < 1 + random.nextInt(4); k++) {
        int i = random.nextInt(50);
        ServiceEntry e = SampleTables.generatedEntry(IpFamily.V4, i, random.nextInt(5), true);
        changes.put(e.key(), random.nextInt(6) == 0 ? null : e);
      }
      ForwardingTable next = table.withEntries(changes);
      backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, table, next,
          ImmutableSet.copyOf(changes.keySet()))));
      table = next;
      assertSameRules(partialKernel, fullKernel(table), "seed " + seed + " step " + step);
    }
    // Partial syncs never list the kernel (at most 250 endpoints: no large-cluster switch).
    assertThat(partialKernel.reads()).isEqualTo(readsAfterFullSync);
    // A full sync over what the partial syncs left deletes nothing it should keep, and
    // leaves exactly (in order) what a full sync on an empty kernel writes.
    backend.sync(SyncRequest.full(TableChange.initial(table)));
    FakeIptKernel fresh = fullKernel(table);
    for (IptTable t : IptExisting.ownTables()) {
      assertThat(partialKernel.chains(IpFamily.V4, t)).isEqualTo(fresh.chains(IpFamily.V4, t));
    }
  }

  private static FakeIptKernel fullKernel(ForwardingTable table) throws Exception {
    FakeIptKernel kernel = new FakeIptKernel();
    new IptablesBackend(kernel).sync(SyncRequest.full(TableChange.initial(table)));
    return kernel;
  }

  private static void assertSameRules(FakeIptKernel a, FakeIptKernel b, String what) {
    for (IptTable t : IptExisting.ownTables()) {
      Map<String, List<String>> left = normalized(a.chains(IpFamily.V4, t));
      Map<String, List<String>> right = normalized(b.chains(IpFamily.V4, t));
      assertThat(left).as(what + " " + t).isEqualTo(right);
    }
    List<IptRule> services = a.chain(IpFamily.V4, IptTable.NAT, IptNames.SERVICES);
    assertThat(services.get(services.size() - 1).target()).isEqualTo(IptNames.NODEPORTS);
    List<IptRule> filter = a.chain(IpFamily.V4, IptTable.FILTER, IptNames.SERVICES);
    assertThat(filter.get(filter.size() - 1).target()).isEqualTo(IptNames.CLUSTER_IPS);
  }

  private static Map<String, List<String>> normalized(Map<String, List<IptRule>> chains) {
    Map<String, List<String>> out = new TreeMap<>();
    chains.forEach((chain, rules) -> {
      List<String> text = new ArrayList<>();
      rules.forEach(r -> text.add(r.toString()));
      if (DISPATCH.contains(chain)) {
        Collections.sort(text);
      }
      out.put(chain, text);
    });
    return out;
  }
}
