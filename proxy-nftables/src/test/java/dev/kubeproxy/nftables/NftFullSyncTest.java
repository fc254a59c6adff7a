package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Full syncs over a table that already exists, on the fake kernel: they replace its contents in
 * place, leaving exactly the compiled state, but keep the clients remembered by ClientIP
 * affinity sets (upstream keeps affinity across its periodic full syncs).
 */
class NftFullSyncTest {
  private static final NftTable V4 = NftTable.kubeProxy(IpFamily.V4);
  private static final ForwardingTable TABLE = SampleTables.allFeatures(IpFamily.V4);

  private final FakeNftKernel kernel = new FakeNftKernel();
  private final NftablesBackend backend = new NftablesBackend(kernel, () -> 0L);

  /** The dump of a fresh kernel after one full sync of {@code table}: the compiled state. */
  private static String compiledState(ForwardingTable table) throws Exception {
    FakeNftKernel fresh = new FakeNftKernel();
    new NftablesBackend(fresh).sync(SyncRequest.full(TableChange.initial(table)));
    return fresh.dump();
  }

  /** The ClientIP affinity client set of the service-ips space. */
  private String affinitySet() {
    assertThat(kernel.sets(V4)).contains("service-ips-affinity");
    return "service-ips-affinity";
  }

  /** Flushes every chain with a rule that uses {@code set}, so it can be redefined. */
  private void flushChainsUsing(String set) throws NftException {
    for (String chain : kernel.chains(V4)) {
      if (kernel.rules(V4, chain).stream().anyMatch(r -> r.contains("@" + set + " "))) {
        kernel.apply(NftTransaction.of(List.of(new NftOp.FlushChain(V4, chain))));
      }
    }
  }

  @Test
  @DisplayName("a periodic full sync keeps the affinity set's clients and removes stale chains and sets")
  void fullSyncKeepsAffinityAndRemovesStaleObjects() throws Exception {
    backend.sync(SyncRequest.full(TableChange.initial(TABLE)));
    String affinity = affinitySet();
    // What the packet path would store: a client remembered with a frontend's tcp slot 0.
    NftElement client = NftElement.of("10.0.0.9", "10.96.2.1", "9000", "393216");
    kernel.apply(NftTransaction.of(List.of(
        new NftOp.AddElement(V4, affinity, client),
        new NftOp.AddChain(V4, "endpoint-OLD", null, null),
        new NftOp.AddChain(V4, "service-OLD", null, null),
        new NftOp.AddSet(V4, "old-set", NftType.type("ipv4_addr"), null, 0, 0, null),
        new NftOp.AddElement(V4, "old-set", NftElement.of("10.1.1.1")),
        new NftOp.AddRule(V4, "service-OLD", NftRule.of("ip saddr @old-set goto endpoint-OLD")),
        new NftOp.AddRule(V4, "endpoint-OLD", NftRule.of("dnat to 10.1.1.1:80")),
        new NftOp.AddElement(V4, "cluster-ips", NftElement.of("10.96.99.99")))));

    backend.sync(SyncRequest.full(TableChange.initial(TABLE)));

    assertThat(kernel.elements(V4, affinity)).containsExactly(client.keyText());
    assertThat(kernel.chains(V4)).doesNotContain("endpoint-OLD", "service-OLD");
    assertThat(kernel.sets(V4)).doesNotContain("old-set");
    // Apart from the remembered client, the kernel is exactly the compiled state.
    kernel.apply(NftTransaction.of(List.of(
        new NftOp.DeleteElement(V4, affinity, client.key()))));
    assertThat(kernel.dump()).isEqualTo(compiledState(TABLE));
  }

  @Test
  @DisplayName("a set whose definition changed is re-created: an older layout's type or timeout is not kept")
  void changedDefinitionsAreReplaced() throws Exception {
    backend.sync(SyncRequest.full(TableChange.initial(TABLE)));
    String affinity = affinitySet();
    flushChainsUsing("cluster-ips");
    flushChainsUsing(affinity);
    kernel.apply(NftTransaction.of(List.of(
        new NftOp.DeleteSet(V4, "cluster-ips", false),
        new NftOp.AddSet(V4, "cluster-ips", NftType.typeOf("ip daddr . th dport"), null, 0, 0, null),
        new NftOp.AddElement(V4, "cluster-ips", NftElement.of("10.96.0.1", "53")))));
    kernel.apply(NftTransaction.of(List.of(
        new NftOp.DeleteSet(V4, affinity, false),
        new NftOp.AddSet(V4, affinity, NftType.typeOf("ip saddr . numgen random mod 1"),
            ImmutableSortedSet.of("dynamic", "timeout"), 1, 1 << 20, null),
        new NftOp.AddElement(V4, affinity, NftElement.of("10.0.0.9", "393216")))));

    backend.sync(SyncRequest.full(TableChange.initial(TABLE)));

    assertThat(kernel.elements(V4, affinity)).isEmpty();
    assertThat(kernel.dump()).isEqualTo(compiledState(TABLE));
  }

  @Test
  @DisplayName("nft -t list output (nft 1.0.6) is read into chains, base chains and set definitions")
  void parsesTerseListing() {
    String listing = String.join("\n",
        "table ip kube-proxy {",
        "\tcomment \"rules for kube-proxy\"",
        "\tset affinity-ABC-ns/svc/tcp/p {",
        "\t\ttypeof ip saddr . numgen random mod 1",
        "\t\tsize 1048576",
        "\t\tflags dynamic,timeout",
        "\t\ttimeout 3h",
        "\t}",
        "",
        "\tmap m1 {",
        "\t\ttypeof ip daddr . meta l4proto . th dport : verdict",
        "\t\tcomment \"x\"",
        "\t}",
        "",
        "\tchain c1 {",
        "\t\tip daddr . meta l4proto . th dport vmap { 10.0.0.1 . tcp . 80 : goto c2 }",
        "\t}",
        "",
        "\tchain nat-prerouting {",
        "\t\ttype nat hook prerouting priority dstnat; policy accept;",
        "\t\tjump c1",
        "\t}",
        "}",
        "");
    ExistingObjects objects = ExistingObjects.parse(listing);
    assertThat(objects.present()).isTrue();
    assertThat(objects.foreign()).isFalse();
    assertThat(objects.chains()).containsExactly(
        java.util.Map.entry("c1", false), java.util.Map.entry("nat-prerouting", true));
    NftOp.AddSet affinity = new NftOp.AddSet(V4, "affinity-ABC-ns/svc/tcp/p",
        NftType.typeOf("ip saddr . numgen random mod 1"),
        ImmutableSortedSet.of("dynamic", "timeout"), 10800, 1 << 20, null);
    assertThat(objects.sets().get("affinity-ABC-ns/svc/tcp/p"))
        .isEqualTo(ExistingObjects.Definition.of(affinity));
    assertThat(objects.sets().get("m1")).isEqualTo(ExistingObjects.Definition.of(
        new NftOp.AddMap(V4, "m1", NftType.typeOf("ip daddr . meta l4proto . th dport"),
            NftType.type("verdict"), null, "x")));
    assertThat(ExistingObjects.parse(listing.replace("\tmap m1", "\tflowtable f1")).foreign())
        .isTrue();
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> ExistingObjects.parse(listing.replace("\tchain c1 {", "\tchain c1")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("only full syncs list the kernel; partial syncs work from the committed state")
  void onlyFullSyncsListTheKernel() throws Exception {
    backend.sync(SyncRequest.full(TableChange.initial(TABLE)));
    assertThat(kernel.objectListings()).isEqualTo(1);
    ServicePortKey web = ServicePortKey.of("default", "web", "http", dev.kubeproxy.api.Protocol.TCP);
    ForwardingTable without = TABLE.withEntries(java.util.Collections.singletonMap(web, null));
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, TABLE, without, ImmutableSet.of(web))));
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, without, TABLE, ImmutableSet.of(web))));
    assertThat(kernel.transactions()).isEqualTo(3);
    assertThat(kernel.objectListings()).isEqualTo(1);

    backend.sync(SyncRequest.full(TableChange.initial(TABLE)));
    assertThat(kernel.objectListings()).isEqualTo(2);
    assertThat(ImmutableList.of(kernel.dump())).containsExactly(compiledState(TABLE));
  }
}
