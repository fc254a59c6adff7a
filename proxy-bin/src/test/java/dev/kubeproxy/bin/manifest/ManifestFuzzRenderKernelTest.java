package dev.kubeproxy.bin.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.iptables.FakeIptKernel;
import dev.kubeproxy.iptables.IptBinaries;
import dev.kubeproxy.iptables.IptablesBackend;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.TableBuilder;
import dev.kubeproxy.nftables.FakeNftKernel;
import dev.kubeproxy.nftables.NftablesBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fuzz batches' renders pass the real tools' checks: {@code nft --check} and {@code
 * iptables-restore --test} (legacy and nft) accept what the nftables and iptables backends would
 * send for a batch of good, bad and mutated objects. Runs the tools only inside a scratch network
 * namespace this test creates, links to nothing and deletes.
 */
@KernelTest
class ManifestFuzzRenderKernelTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {0x140000L, 0x140007L, 0x140013L, 0x140021L, 0x140034L})
  void rendersPassTheToolsChecks(long seed) throws Exception {
    FuzzBatch batch = FuzzBatch.generate(seed, 25, 25, 10);
    ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
    ManifestFuzzTest.feed(dir, batch, tracker);
    ForwardingTable table =
        TableBuilder.build(IpFamily.V4, tracker.drain().snapshot(), ManifestFuzzTest.CONFIG);
    assertThat(table.entries()).hasSizeGreaterThanOrEqualTo(batch.good.size());
    SyncRequest full = SyncRequest.full(TableChange.initial(table));
    String nft = new NftablesBackend(new FakeNftKernel()).render(full);
    String ipt = new IptablesBackend(new FakeIptKernel()).render(full);

    CommandRunner host = new ProcessCommandRunner();
    String netns = "kpj-fuzz" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24))
        + "-" + ProcessHandle.current().pid();
    host.run(Command.of("ip", "netns", "add", netns));
    try {
      CommandRunner inside = CommandRunner.inNetns(host, netns);
      inside.run(Command.of(List.of("nft", "--check", "-f", "-"), nft.getBytes(StandardCharsets.UTF_8)));
      for (IptBinaries binaries : List.of(IptBinaries.legacy(), IptBinaries.nft())) {
        inside.run(Command.of(
            List.of(binaries.restore(IpFamily.V4), "-w", "--noflush", "--test"),
            ipt.getBytes(StandardCharsets.UTF_8)));
      }
    } finally {
      host.run(Command.of("ip", "netns", "delete", netns));
    }
  }
}
