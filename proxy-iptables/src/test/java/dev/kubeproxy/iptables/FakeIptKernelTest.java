package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.iptables.IptOp.AppendRule;
import dev.kubeproxy.iptables.IptOp.DeclareChain;
import dev.kubeproxy.iptables.IptOp.DeleteChain;
import dev.kubeproxy.iptables.IptOp.DeleteRule;
import org.junit.jupiter.api.Test;

/** The fake kernel refuses what iptables refuses, atomically; the backend uses it as the real one. */
class FakeIptKernelTest {
  private static IptTransaction tx(IptOp... ops) {
    IptTransaction.Builder b = IptTransaction.builder();
    for (IptOp op : ops) {
      b.add(IptTable.NAT, op);
    }
    return b.build();
  }

  @Test
  void refusesJumpsToMissingChainsAndLeavesTheTableAsItWas() {
    FakeIptKernel kernel = new FakeIptKernel();
    assertThatThrownBy(() -> kernel.apply(IpFamily.V4, tx(new DeclareChain("KUBE-A"),
        new AppendRule(IptRule.of("KUBE-A", "-j", "KUBE-MISSING")))))
        .isInstanceOf(IptException.class).hasMessageContaining("KUBE-MISSING");
    assertThat(kernel.chain(IpFamily.V4, IptTable.NAT, "KUBE-A")).isNull();
  }

  @Test
  void refusesDeletingReferencedOrNonEmptyChainsAndAbsentRules() throws Exception {
    FakeIptKernel kernel = new FakeIptKernel();
    kernel.apply(IpFamily.V4, tx(new DeclareChain("KUBE-A"), new DeclareChain("KUBE-B"),
        new AppendRule(IptRule.of("KUBE-A", "-j", "KUBE-B"))));
    assertThatThrownBy(() -> kernel.apply(IpFamily.V4, tx(new DeleteChain("KUBE-B"))))
        .hasMessageContaining("referenced");
    assertThatThrownBy(() -> kernel.apply(IpFamily.V4, tx(new DeleteChain("KUBE-A"))))
        .hasMessageContaining("not empty");
    assertThatThrownBy(() -> kernel.apply(IpFamily.V4,
        tx(new DeleteRule(IptRule.of("KUBE-A", "-j", "RETURN")))))
        .hasMessageContaining("matching rule");
    kernel.apply(IpFamily.V4, tx(new DeclareChain("KUBE-A"), new DeleteChain("KUBE-B")));
    assertThat(kernel.chain(IpFamily.V4, IptTable.NAT, "KUBE-B")).isNull();
  }

  @Test
  void backendForgetsOnFailureAndCleansUpOnlyItsOwnRules() throws Exception {
    FakeIptKernel kernel = new FakeIptKernel();
    IptRule user = IptRule.of("INPUT", "-s", "192.0.2.99", "-j", "DROP");
    kernel.addForeignRule(IpFamily.V4, IptTable.FILTER, user);
    IptablesBackend backend = new IptablesBackend(kernel);
    var table = SampleTables.allFeatures(IpFamily.V4);
    backend.sync(SyncRequest.full(TableChange.initial(table)));
    assertThat(backend.committed(IpFamily.V4)).isNotNull();
    // Someone deletes a chain behind our back: the next partial sync fails and we forget.
    var entry = SampleTables.generatedEntry(IpFamily.V4, 1, 2, false);
    kernel.apply(IpFamily.V4, tx(new DeclareChain(IptNames.SERVICES)));
    var next = table.withEntries(java.util.Map.of(entry.key(), entry));
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, table, next,
        com.google.common.collect.ImmutableSet.of(entry.key()))));
    var gone = SampleTables.generatedEntry(IpFamily.V4, 1, 2, false).key();
    var after = next.withEntries(java.util.Collections.singletonMap(gone, null));
    kernel.apply(IpFamily.V4, tx(new DeclareChain(IptNames.SERVICES)));
    assertThatThrownBy(() -> backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, next,
        after, com.google.common.collect.ImmutableSet.of(gone)))))
        .isInstanceOf(SyncException.class);
    assertThat(backend.committed(IpFamily.V4)).isNull();
    backend.cleanup();
    // Kubelet's KUBE-FIREWALL (the localhost NodePorts guard) stays, as upstream leaves it.
    for (IptTable t : IptExisting.ownTables()) {
      kernel.chains(IpFamily.V4, t).forEach((chain, rules) -> {
        if (!chain.equals(IptNames.KUBELET_FIREWALL)) {
          assertThat(chain).doesNotStartWith("KUBE-");
        }
        rules.stream().map(IptRule::target)
            .filter(target -> target != null && !target.equals(IptNames.KUBELET_FIREWALL))
            .forEach(target -> assertThat(target).doesNotStartWith("KUBE-"));
      });
    }
    assertThat(kernel.chain(IpFamily.V4, IptTable.FILTER, "INPUT"))
        .filteredOn(r -> !IptNames.KUBELET_FIREWALL.equals(r.target())).containsExactly(user);
  }
}
