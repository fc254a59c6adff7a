package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.nftables.testing.Netns;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rendered text is valid nft: the real parser accepts a large table with every feature in
 * both families ({@code nft --check}), the kernel accepts it, and partial changes apply on top.
 * Runs only in a namespace this test creates; as a {@link KernelTest} it is skipped without
 * root and fails instead under {@code CI=true}.
 */
@KernelTest
class NftCheckKernelTest {
  private static Netns netns;

  @BeforeAll
  static void createNamespace() throws Exception {
    netns = Netns.create("kpj-check-");
  }

  @AfterAll
  static void deleteNamespace() throws Exception {
    if (netns != null) {
      netns.close();
    }
  }

  private static ForwardingTable large(IpFamily family) {
    return SampleTables.generated(family, 1000, 5, true)
        .withEntries(SampleTables.allFeatures(family).entries());
  }

  @Test
  void largeTableWithEveryFeaturePassesNftCheckAndApplies() throws Exception {
    NftCompiler compiler = new NftCompiler();
    RealNftKernel kernel = new RealNftKernel(netns.runner());
    // Compiled against what the namespace holds (another test may have left tables), as a sync.
    NftTransaction tx = compiler.full(large(IpFamily.V4),
            kernel.objects(NftTable.kubeProxy(IpFamily.V4))).transaction()
        .then(compiler.full(large(IpFamily.V6),
            kernel.objects(NftTable.kubeProxy(IpFamily.V6))).transaction());
    byte[] text = new NftRenderer().render(tx).getBytes(StandardCharsets.UTF_8);

    netns.runner().run(Command.of(List.of("nft", "--check", "-f", "-"), text));
    netns.runner().run(Command.of(List.of("nft", "-f", "-"), text));

    String v4 = netns.runner().run(Command.of("nft", "list", "table", "ip", "kube-proxy")).stdout();
    String v6 = netns.runner().run(Command.of("nft", "list", "table", "ip6", "kube-proxy")).stdout();
    assertThat(v4).contains("chain services", "map service-ips-5", "10.96.0.10 . tcp . 80 . 1");
    assertThat(v6).contains("chain services", "map service-ips-5", "fd00:96::10 . tcp . 80 . 1");
  }

  @Test
  void backendAppliesFullThenPartialSyncsOnTheRealKernel() throws Exception {
    RealNftKernel kernel = new RealNftKernel(netns.runner());
    NftablesBackend backend = new NftablesBackend(kernel);
    ForwardingTable before = SampleTables.allFeatures(IpFamily.V4)
        .withEntries(SampleTables.generated(IpFamily.V4, 30, 3, true).entries());
    backend.sync(SyncRequest.full(TableChange.initial(before)));

    // Grow one service (new group), shrink another to zero, drop the affinity service.
    var grown = SampleTables.generatedEntry(IpFamily.V4, 7, 4, true);
    var emptied = SampleTables.generatedEntry(IpFamily.V4, 8, 0, true);
    var sticky = SampleTables.generatedEntry(IpFamily.V4, 15, 3, true).key();
    java.util.Map<dev.kubeproxy.api.ServicePortKey, dev.kubeproxy.api.ServiceEntry> changes =
        new java.util.HashMap<>();
    changes.put(grown.key(), grown);
    changes.put(emptied.key(), emptied);
    changes.put(sticky, null);
    ForwardingTable after = before.withEntries(changes);
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, before, after,
        com.google.common.collect.ImmutableSet.copyOf(changes.keySet()))));

    String listing = kernel.list(NftTable.kubeProxy(IpFamily.V4));
    assertThat(listing).contains("map service-ips-4");
    assertThat(listing).doesNotContain("\"" + sticky + "\"");
  }

  @Test
  void everyDetectorModeAndNodePortAddressesParse() throws Exception {
    NftCompiler compiler = new NftCompiler();
    List<LocalTrafficDetector> detectors = List.of(
        LocalTrafficDetector.NONE,
        LocalTrafficDetector.byInterface(LocalTrafficDetector.Mode.BRIDGE_INTERFACE, "cbr0"),
        LocalTrafficDetector.byInterface(LocalTrafficDetector.Mode.INTERFACE_NAME_PREFIX, "veth"),
        LocalTrafficDetector.byCidrs(LocalTrafficDetector.Mode.NODE_CIDR,
            ImmutableList.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.245.0.0/16"))));
    for (LocalTrafficDetector detector : detectors) {
      ForwardingTable sample = SampleTables.allFeatures(IpFamily.V4);
      ForwardingTable table = sample.withFacts(sample.facts().toBuilder()
          .nodePortAddresses(NodePortAddresses.cidrs("192.168.0.0/16", "192.168.0.10/32"))
          .localDetector(detector)
          .masqueradeAll(true)
          .masqueradeMark(0x8000)
          .build());
      byte[] text = new NftRenderer().render(compiler.full(table).transaction())
          .getBytes(StandardCharsets.UTF_8);
      netns.runner().run(Command.of(List.of("nft", "--check", "-f", "-"), text));
    }
  }
}
