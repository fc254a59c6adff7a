package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.HashMultiset;
import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.iptables.IptOp.AppendRule;
import dev.kubeproxy.iptables.IptOp.DeclareChain;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Preload batches for iptables-nft keep every step, only reference chains that exist by then,
 * stay within the batch size, and leave the kernel exactly as the single commit would.
 */
class NftPreloadTest {
  private static final IptCompiler COMPILER = new IptCompiler();

  @Test
  void smallListsStayOneCommit() {
    IptTransaction tx = COMPILER.full(SampleTables.allFeatures(IpFamily.V4)).transaction();
    NftPreload.Split split = NftPreload.split(tx.ops(IptTable.NAT), 500);
    assertThat(split.preloads()).isEmpty();
    assertThat(split.rest()).isEqualTo(tx.ops(IptTable.NAT));
  }

  @Test
  void batchesKeepEveryStepAndOnlyJumpToChainsAlreadyThere() {
    ForwardingTable table = SampleTables.generated(IpFamily.V4, 300, 4, true);
    ImmutableList<IptOp> ops = COMPILER.full(table).transaction().ops(IptTable.NAT);
    NftPreload.Split split = NftPreload.split(ops, 100);

    assertThat(split.preloads()).hasSizeGreaterThan(5);
    List<IptOp> all = new ArrayList<>();
    split.preloads().forEach(all::addAll);
    all.addAll(split.rest());
    assertThat(HashMultiset.create(all)).isEqualTo(HashMultiset.create(ops));

    Set<String> declaredAnywhere = new HashSet<>();
    ops.stream().filter(op -> op instanceof DeclareChain).forEach(op -> declaredAnywhere.add(op.chain()));
    Set<String> exists = new HashSet<>();
    for (ImmutableList<IptOp> commit : split.preloads()) {
      long serviceChains = commit.stream()
          .filter(op -> op instanceof DeclareChain && IptNames.isServiceChain(op.chain())).count();
      assertThat(serviceChains).isLessThanOrEqualTo(100);
      commit.stream().filter(op -> op instanceof DeclareChain).forEach(op -> exists.add(op.chain()));
      for (IptOp op : commit) {
        assertThat(op).isInstanceOfAny(DeclareChain.class, AppendRule.class);
        if (op instanceof AppendRule a && declaredAnywhere.contains(a.rule().target())) {
          assertThat(exists).as("target of %s", a.rule()).contains(a.rule().target());
        }
      }
    }
    // What makes the table reachable stays in the last commit.
    assertThat(split.rest()).anyMatch(op -> op.chain().equals(IptNames.SERVICES));
    assertThat(split.rest()).noneMatch(op -> IptNames.isServiceChain(op.chain()));
  }

  @Test
  void batchesLeaveTheKernelAsOneCommitWould() throws Exception {
    ForwardingTable table = SampleTables.generated(IpFamily.V4, 120, 3, true);
    IptTransaction tx = COMPILER.full(table).transaction();
    FakeIptKernel whole = new FakeIptKernel();
    whole.apply(IpFamily.V4, tx);

    FakeIptKernel batched = new FakeIptKernel();
    NftPreload.Split split = NftPreload.split(tx.ops(IptTable.NAT), 40);
    assertThat(split.preloads()).isNotEmpty();
    for (ImmutableList<IptOp> commit : split.preloads()) {
      batched.apply(IpFamily.V4, IptTransaction.builder().addAll(IptTable.NAT, commit).build());
    }
    batched.apply(IpFamily.V4, tx.with(IptTable.NAT, split.rest()));

    for (IptTable t : IptTable.values()) {
      assertThat(batched.chains(IpFamily.V4, t)).isEqualTo(whole.chains(IpFamily.V4, t));
    }
  }
}
