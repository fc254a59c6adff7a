package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.api.testing.lab.KernelTest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * On real iptables-nft, a full sync sent as preload batches leaves the nat table exactly as the
 * same sync in one commit does, and a restart's full sync over it adopts it. Runs only in
 * scratch namespaces this test creates and deletes.
 */
@KernelTest
class NftPreloadKernelTest {
  private static String nat(CommandRunner ns) throws Exception {
    return ns.run(Command.of(IptBinaries.nft().save(IpFamily.V4), "-t", "nat")).stdout().lines()
        .filter(l -> !l.startsWith("#"))
        .map(l -> l.startsWith(":") ? l.replaceAll("\\[\\d+:\\d+\\]", "") : l)
        .sorted()
        .collect(Collectors.joining("\n"));
  }

  @Test
  void batchedFullSyncEqualsOneCommit() throws Exception {
    ForwardingTable table = SampleTables.generated(IpFamily.V4, 200, 3, true);
    try (ScratchNetns one = ScratchNetns.create(); ScratchNetns batched = ScratchNetns.create()) {
      RealIptKernel batchedKernel = new RealIptKernel(batched.runner(), IptBinaries.nft(), 50);
      IptTransaction tx = new IptCompiler().full(table).transaction();
      assertThat(batchedKernel.restoreInput(tx).lines().filter(l -> l.equals("*nat")).count())
          .isGreaterThan(5);

      new IptablesBackend(new RealIptKernel(one.runner(), IptBinaries.nft()))
          .sync(SyncRequest.full(TableChange.initial(table)));
      new IptablesBackend(batchedKernel).sync(SyncRequest.full(TableChange.initial(table)));
      String expected = nat(one.runner());
      assertThat(expected).contains("KUBE-SVC-");
      assertThat(nat(batched.runner())).isEqualTo(expected);

      // A restarted backend's full sync, batched again, over the live rules changes nothing.
      new IptablesBackend(new RealIptKernel(batched.runner(), IptBinaries.nft(), 50))
          .sync(SyncRequest.full(TableChange.initial(table)));
      assertThat(nat(batched.runner())).isEqualTo(expected);
    }
  }
}
