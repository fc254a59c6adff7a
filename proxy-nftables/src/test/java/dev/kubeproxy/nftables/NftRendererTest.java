package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
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
import dev.kubeproxy.nftables.NftOp.FlushSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The renderer prints every operation as the exact nft -f command, merging element runs. */
class NftRendererTest {
  private static final NftTable V4 = NftTable.kubeProxy(IpFamily.V4);
  private static final NftTable V6 = NftTable.kubeProxy(IpFamily.V6);

  @Test
  void rendersEachOperation() {
    NftTransaction tx = NftTransaction.of(List.of(
        new AddTable(V4, "rules for kube-proxy"),
        new DeleteTable(V6),
        new AddChain(V4, "nat-prerouting", BaseChain.nat("prerouting", -100), null),
        new AddChain(V4, "services", null, null),
        new FlushChain(V4, "services"),
        new DeleteChain(V4, "old"),
        new AddRule(V4, "services", NftRule.of("ip daddr @cluster-ips jump mark", "what \"it\" does;")),
        new AddSet(V4, "s", NftType.type("ipv4_addr"), ImmutableSortedSet.of("timeout", "dynamic"), 60, 0, null),
        new AddMap(V4, "m", NftType.typeOf("ip daddr . th dport"), NftType.type("verdict"), null, "c"),
        new DeleteSet(V4, "m", true),
        new FlushSet(V4, "s", false)));
    assertThat(new NftRenderer().render(tx)).isEqualTo(
        "add table ip kube-proxy { comment \"rules for kube-proxy\" ; }\n"
            + "delete table ip6 kube-proxy\n"
            + "add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }\n"
            + "add chain ip kube-proxy services\n"
            + "flush chain ip kube-proxy services\n"
            + "delete chain ip kube-proxy old\n"
            + "add rule ip kube-proxy services ip daddr @cluster-ips jump mark comment \"what it does\"\n"
            + "add set ip kube-proxy s { type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; }\n"
            + "add map ip kube-proxy m { typeof ip daddr . th dport : verdict ; comment \"c\" ; }\n"
            + "delete map ip kube-proxy m\n"
            + "flush set ip kube-proxy s\n");
  }

  @Test
  void mergesRunsOfElementsOnOneSetIntoOneCommand() {
    NftTransaction tx = NftTransaction.of(List.of(
        new AddElement(V4, "a", NftElement.of("10.0.0.1")),
        new AddElement(V4, "a", NftElement.of("10.0.0.2").withComment("ns/svc:p")),
        new AddElement(V4, "m", NftElement.mapping(ImmutableList.of("tcp", "80", "0"),
            ImmutableList.of("10.1.0.1", "8080"))),
        new DeleteElement(V4, "a", ImmutableList.of("10.0.0.3")),
        new DeleteElement(V4, "a", ImmutableList.of("10.0.0.4")),
        new AddElement(V6, "a", NftElement.of("fd00::1"))));
    assertThat(new NftRenderer().render(tx)).isEqualTo(
        "add element ip kube-proxy a { 10.0.0.1, 10.0.0.2 comment \"ns/svc:p\" }\n"
            + "add element ip kube-proxy m { tcp . 80 . 0 : 10.1.0.1 . 8080 }\n"
            + "delete element ip kube-proxy a { 10.0.0.3, 10.0.0.4 }\n"
            + "add element ip6 kube-proxy a { fd00::1 }\n");
  }

  @Test
  void splitsLongElementRuns() {
    List<NftOp> ops = new java.util.ArrayList<>();
    for (int i = 0; i < NftRenderer.ELEMENTS_PER_LINE + 1; i++) {
      ops.add(new AddElement(V4, "a", NftElement.of("10.0." + (i / 256) + "." + (i % 256))));
    }
    String text = new NftRenderer().render(NftTransaction.of(ops));
    assertThat(text.lines()).hasSize(2);
    assertThat(text.lines().toList().get(1)).isEqualTo("add element ip kube-proxy a { 10.0.1.0 }");
  }

  @Test
  void rendersALargeTransactionInSlicesAsOnePassWould() {
    // Runs of varying length on alternating sets, rules between them: lines of 1-256 elements.
    List<NftOp> ops = new java.util.ArrayList<>();
    int n = 0;
    for (int run = 0; ops.size() < NftRenderer.PARALLEL_RENDER_OPS + 1000; run++) {
      for (int i = 0; i < run % 300 + 1; i++, n++) {
        ops.add(new AddElement(V4, run % 2 == 0 ? "a" : "m", NftElement.mapping(
            ImmutableList.of("10." + (n >> 16) + "." + (n >> 8 & 255) + "." + (n & 255), "tcp", "80"),
            ImmutableList.of("goto c" + run))));
      }
      ops.add(new AddRule(V4, "c" + run, NftRule.of("counter", null)));
    }
    // The oracle: each line rendered alone (each far below the parallel threshold), joined.
    StringBuilder expected = new StringBuilder();
    int start = 0;
    while (start < ops.size()) {
      int end = start + 1;
      if (ops.get(start) instanceof AddElement first) {
        while (end < ops.size() && end - start < NftRenderer.ELEMENTS_PER_LINE
            && ops.get(end) instanceof AddElement e && e.set().equals(first.set())) {
          end++;
        }
      }
      expected.append(new NftRenderer().render(NftTransaction.of(ops.subList(start, end))));
      start = end;
    }
    assertThat(new NftRenderer().render(NftTransaction.of(ops))).isEqualTo(expected.toString());
  }
}
