package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.iptables.IptOp.AppendRule;
import dev.kubeproxy.iptables.IptOp.DeclareChain;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Full syncs over what the kernel already holds: a restarted backend adopts its own rules
 * without duplicating the jumps, deletes stale service chains of an earlier run, and the canary
 * turns a flushed table into a full sync. Large-cluster mode drops per-endpoint comments and
 * crossing its threshold makes the sync full.
 */
class IptFullSyncTest {
  private static long count(List<IptRule> rules, String target) {
    return rules.stream().filter(r -> target.equals(r.target())).count();
  }

  @Test
  void restartAdoptsRulesAndDeletesStaleChains() throws Exception {
    FakeIptKernel kernel = new FakeIptKernel();
    ForwardingTable table = SampleTables.allFeatures(IpFamily.V4);
    new IptablesBackend(kernel).sync(SyncRequest.full(TableChange.initial(table)));
    // A chain an earlier run left behind, still referenced from another stale chain.
    kernel.apply(IpFamily.V4, IptTransaction.builder()
        .add(IptTable.NAT, new DeclareChain("KUBE-SVC-AAAAAAAAAAAAAAAA"))
        .add(IptTable.NAT, new DeclareChain("KUBE-SEP-AAAAAAAAAAAAAAAA"))
        .add(IptTable.NAT, new AppendRule(
            IptRule.of("KUBE-SVC-AAAAAAAAAAAAAAAA", "-j", "KUBE-SEP-AAAAAAAAAAAAAAAA")))
        .build());
    IptablesBackend restarted = new IptablesBackend(kernel);
    restarted.sync(SyncRequest.full(TableChange.initial(table)));

    assertThat(kernel.chain(IpFamily.V4, IptTable.NAT, "KUBE-SVC-AAAAAAAAAAAAAAAA")).isNull();
    assertThat(kernel.chain(IpFamily.V4, IptTable.NAT, "KUBE-SEP-AAAAAAAAAAAAAAAA")).isNull();
    assertThat(count(kernel.chain(IpFamily.V4, IptTable.NAT, "PREROUTING"), IptNames.SERVICES))
        .isEqualTo(1);
    assertThat(count(kernel.chain(IpFamily.V4, IptTable.FILTER, "FORWARD"),
        IptNames.PROXY_FIREWALL)).isEqualTo(1);
  }

  @Test
  void flushedTablesLoseTheCanaryAndTheNextSyncIsFull() throws Exception {
    FakeIptKernel kernel = new FakeIptKernel();
    IptablesBackend backend = new IptablesBackend(kernel);
    ForwardingTable table = SampleTables.allFeatures(IpFamily.V4);
    backend.sync(SyncRequest.full(TableChange.initial(table)));
    assertThat(backend.canaryIntact()).isTrue();

    kernel.flushTable(IpFamily.V4, IptTable.NAT);
    assertThat(backend.canaryIntact()).isFalse();
    assertThat(backend.committed(IpFamily.V4)).isNull();
    // Even a "partial" request with no changed key rebuilds everything.
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, table, table, ImmutableSet.of())));
    assertThat(kernel.chain(IpFamily.V4, IptTable.NAT, IptNames.CANARY)).isNotNull();
    assertThat(count(kernel.chain(IpFamily.V4, IptTable.NAT, "PREROUTING"), IptNames.SERVICES))
        .isEqualTo(1);
    assertThat(backend.canaryIntact()).isTrue();
  }

  @Test
  void largeClusterModeDropsEndpointCommentsAndItsThresholdForcesAFullSync() {
    IptCompiler compiler = new IptCompiler();
    ForwardingTable small = SampleTables.generated(IpFamily.V4, 100, 10, false);
    IptState state = compiler.full(small).state();
    assertThat(state.endpointChains()).isEqualTo(1000);
    assertThat(state.largeCluster()).isFalse();
    String smallText = new IptRenderer().render(compiler.full(small).transaction());
    assertThat(smallText).contains("--comment \"ns0/svc0:p80 -> ");

    ServiceEntry extra = SampleTables.generatedEntry(IpFamily.V4, 100, 1, false);
    ForwardingTable large = small.withEntries(Map.of(extra.key(), extra));
    TableChange change = new TableChange(IpFamily.V4, small, large, ImmutableSet.of(extra.key()));
    assertThat(compiler.compilesFully(change, false, state)).isTrue();
    var result = compiler.compile(change, false, state);
    assertThat(result.state().largeCluster()).isTrue();
    String largeText = new IptRenderer().render(result.transaction());
    assertThat(largeText).doesNotContain(" -> ").contains(":KUBE-SERVICES - [0:0]");
  }
}
