package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.nftables.NftOp.AddChain;
import dev.kubeproxy.nftables.NftOp.AddElement;
import dev.kubeproxy.nftables.NftOp.AddMap;
import dev.kubeproxy.nftables.NftOp.AddRule;
import dev.kubeproxy.nftables.NftOp.AddSet;
import dev.kubeproxy.nftables.NftOp.AddTable;
import dev.kubeproxy.nftables.NftOp.DeleteChain;
import dev.kubeproxy.nftables.NftOp.DeleteElement;
import dev.kubeproxy.nftables.NftOp.DeleteSet;
import dev.kubeproxy.nftables.NftOp.DeleteTable;
import dev.kubeproxy.nftables.NftOp.FlushChain;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The fake refuses what the kernel refuses, and a refused transaction changes nothing. */
class FakeNftKernelBehaviourTest {
  private static final NftTable T = NftTable.kubeProxy(IpFamily.V4);
  private final FakeNftKernel kernel = new FakeNftKernel();

  @BeforeEach
  void base() throws NftException {
    kernel.apply(NftTransaction.of(List.of(
        new AddTable(T, null),
        new AddSet(T, "ips", NftType.type("ipv4_addr"), null, 0, 0, null),
        new AddMap(T, "vm", NftType.type("ipv4_addr"), NftType.type("verdict"), null, null),
        new AddChain(T, "target", null, null),
        new AddChain(T, "from", null, null),
        new AddRule(T, "from", NftRule.of("ip daddr @ips jump target")),
        new AddElement(T, "ips", NftElement.of("10.0.0.1")))));
  }

  private void assertRefused(NftOp op, String message) {
    String before = kernel.dump();
    assertThatThrownBy(() -> kernel.apply(NftTransaction.of(List.of(
            new AddElement(T, "ips", NftElement.of("10.0.0.99")), op))))
        .isInstanceOf(NftException.class)
        .hasMessageContaining(message);
    assertThat(kernel.dump()).as("a refused transaction changes nothing").isEqualTo(before);
  }

  @Test
  void refusesElementsOfMissingSets() {
    assertRefused(new AddElement(T, "nosuch", NftElement.of("10.0.0.2")), "No such file");
  }

  @Test
  void refusesDeletingMissingElementsChainsSetsAndTables() {
    assertRefused(new DeleteElement(T, "ips", ImmutableList.of("10.0.0.2")), "No such file");
    assertRefused(new DeleteChain(T, "nosuch"), "No such file");
    assertRefused(new DeleteSet(T, "nosuch", false), "No such file");
    assertRefused(new DeleteTable(NftTable.kubeProxy(IpFamily.V6)), "No such file");
  }

  @Test
  void refusesDeletingReferencedOrNonEmptyChainsAndReferencedSets() {
    assertRefused(new DeleteChain(T, "target"), "busy");
    assertRefused(new DeleteChain(T, "from"), "busy");
    assertRefused(new DeleteSet(T, "ips", false), "busy");
  }

  @Test
  void refusesRulesAndVerdictsNamingMissingObjects() {
    assertRefused(new AddRule(T, "from", NftRule.of("ip daddr @nosuch accept")), "No such file");
    assertRefused(new AddRule(T, "from", NftRule.of("goto nosuch")), "No such file");
    assertRefused(new AddElement(T, "vm", new NftElement(
        ImmutableList.of("10.0.0.5"), ImmutableList.of("goto nosuch"), null)), "No such file");
  }

  @Test
  void refusesConflictingElementsButAcceptsEqualOnes() throws NftException {
    kernel.apply(NftTransaction.of(List.of(new AddElement(T, "vm", new NftElement(
        ImmutableList.of("10.0.0.5"), ImmutableList.of("goto target"), null)))));
    kernel.apply(NftTransaction.of(List.of(new AddElement(T, "vm", new NftElement(
        ImmutableList.of("10.0.0.5"), ImmutableList.of("goto target"), null)))));
    assertRefused(new AddElement(T, "vm", new NftElement(
        ImmutableList.of("10.0.0.5"), ImmutableList.of("goto from"), null)), "File exists");
  }

  @Test
  void flushThenDeleteInOneTransactionSucceeds() throws NftException {
    kernel.apply(NftTransaction.of(List.of(
        new FlushChain(T, "from"), new DeleteChain(T, "from"), new DeleteChain(T, "target"),
        new DeleteSet(T, "ips", false))));
    assertThat(kernel.chains(T)).isEmpty();
    assertThat(kernel.sets(T)).containsExactly("vm");
  }

  @Test
  @DisplayName("the fake lists a table as the nft -f text that re-creates it, and that text does")
  void listsTheTableAsTheTransactionThatRecreatesIt() throws NftException {
    String listing = kernel.list(T);
    assertThat(listing.lines()).containsExactly(
        "add table ip kube-proxy",
        "add set ip kube-proxy ips { type ipv4_addr ; }",
        "add map ip kube-proxy vm { type ipv4_addr : verdict ; }",
        "add chain ip kube-proxy from",
        "add chain ip kube-proxy target",
        "add element ip kube-proxy ips { 10.0.0.1 }",
        "add rule ip kube-proxy from ip daddr @ips jump target");
    FakeNftKernel copy = new FakeNftKernel();
    copy.apply(NftTransaction.of(snapshotOps()));
    assertThat(copy.list(T)).isEqualTo(listing);
    assertThat(copy.objects(T)).isEqualTo(kernel.objects(T));
  }

  /** What {@link #kernel} was given in setUp, as one transaction. */
  private static List<NftOp> snapshotOps() {
    return List.of(
        new AddTable(T, null),
        new AddSet(T, "ips", NftType.type("ipv4_addr"), null, 0, 0, null),
        new AddMap(T, "vm", NftType.type("ipv4_addr"), NftType.type("verdict"), null, null),
        new AddChain(T, "from", null, null),
        new AddChain(T, "target", null, null),
        new AddRule(T, "from", NftRule.of("ip daddr @ips jump target")),
        new AddElement(T, "ips", NftElement.of("10.0.0.1")));
  }
}
