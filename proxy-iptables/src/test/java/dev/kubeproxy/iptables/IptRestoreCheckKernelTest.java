package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.api.testing.lab.KernelTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rendered restore input is valid for real iptables: {@code iptables-restore --test}
 * accepts a 1k-service table with every feature in both families, on iptables-legacy and
 * iptables-nft; then the backend applies it for real, and a partial sync applies on top.
 * Runs only in a scratch namespace this test creates and deletes.
 */
@KernelTest
class IptRestoreCheckKernelTest {
  private static IptBinaries binaries(String variant) {
    return variant.equals("legacy") ? IptBinaries.legacy() : IptBinaries.nft();
  }

  @ParameterizedTest
  @ValueSource(strings = {"legacy", "nft"})
  void largeAllFeaturesRenderIsAccepted(String variant) throws Exception {
    IptBinaries bin = binaries(variant);
    try (ScratchNetns ns = ScratchNetns.create()) {
      for (IpFamily family : IpFamily.values()) {
        String text = new IptRenderer().render(new IptCompiler()
            .full(SampleTables.generated(family, 1000, 3, true)).transaction());
        ns.runner().run(Command.of(ImmutableList.of(bin.restore(family), "-w", "--noflush",
            "--test"), text.getBytes(StandardCharsets.UTF_8)));
      }
      var table = SampleTables.generated(IpFamily.V4, 1000, 3, true);
      IptablesBackend backend = new IptablesBackend(new RealIptKernel(ns.runner(), bin));
      backend.sync(SyncRequest.full(TableChange.initial(table)));
      var entry = SampleTables.generatedEntry(IpFamily.V4, 7, 5, true);
      var next = table.withEntries(java.util.Map.of(entry.key(), entry));
      backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, table, next,
          com.google.common.collect.ImmutableSet.of(entry.key()))));
      String save = ns.runner().run(Command.of(bin.save(IpFamily.V4), "-t", "nat")).stdout();
      assertThat(save).contains(":" + IptNames.sep(entry.key(), entry.internal().endpoints().get(4)));
      // A full sync over what is there reads the kernel and finds its jumps in place.
      backend.sync(SyncRequest.full(TableChange.initial(next)));
      String after = ns.runner().run(Command.of(bin.save(IpFamily.V4), "-t", "nat")).stdout();
      assertThat(after.lines().filter(l -> l.startsWith("-A PREROUTING")).count()).isEqualTo(1);
      backend.cleanup();
      String clean = ns.runner().run(Command.of(bin.save(IpFamily.V4), "-t", "nat")).stdout();
      assertThat(clean).doesNotContain("KUBE-");
    }
  }
}
