package dev.kubeproxy.bin.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.iptables.FakeIptKernel;
import dev.kubeproxy.iptables.IptTable;
import dev.kubeproxy.iptables.IptablesBackend;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableBuilder;
import dev.kubeproxy.nftables.FakeNftKernel;
import dev.kubeproxy.nftables.NftTable;
import dev.kubeproxy.nftables.NftablesBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seeded fuzz test of issue 14: random bad objects beside good ones through the manifest
 * reader, the change tracker, the table builder and the nftables and iptables backends on their
 * fake kernels. No exception escapes; every bad object is named by exactly one problem; every
 * mutated object is loaded or named; every good Service is programmed. About 20 s in all.
 */
class ManifestFuzzTest {
  static final ProxyConfig CONFIG = ProxyConfig.defaults("node-1");

  @TempDir Path dir;

  static List<Long> seeds() {
    return java.util.stream.LongStream.range(0, 40).map(i -> 0x14_0000L + i).boxed().toList();
  }

  /** Reads {@code batch} from a directory as the binary does (three files) and feeds a tracker. */
  static ManifestSnapshot feed(Path dir, FuzzBatch batch, ChangeTracker tracker) throws Exception {
    int files = 3;
    for (int f = 0; f < files; f++) {
      StringBuilder text = new StringBuilder();
      for (int d = f; d < batch.documents.size(); d += files) {
        text.append("---\n").append(batch.documents.get(d));
      }
      Files.writeString(dir.resolve("f" + f + ".yaml"), text);
    }
    return new ManifestSource(dir, "node-1").feed(tracker);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void badObjectsNeverCostTheGoodOnes(long seed) throws Exception {
    FuzzBatch batch = FuzzBatch.generate(seed, 25, 25, 10);
    ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());

    ManifestSnapshot snapshot = feed(dir, batch, tracker);

    // Every bad object is named by exactly one problem, on one line.
    String problems = snapshot.problems().stream().map(ManifestProblem::describe)
        .collect(Collectors.joining("\n"));
    for (String bad : batch.badNames) {
      assertThat(snapshot.problems().stream().filter(p -> p.object().matches(".*\\b" + bad + "\\b.*")))
          .as("problems naming %s in:\n%s", bad, problems)
          .hasSize(1);
    }
    assertThat(snapshot.problems()).allSatisfy(p -> assertThat(p.describe()).doesNotContain("\n"));
    // Every mutated object is either loaded or named: nothing silent.
    for (String mutated : batch.mutated) {
      boolean loaded = snapshot.services().containsKey(NamespacedName.of("default", mutated));
      boolean named = snapshot.problems().stream().anyMatch(p -> p.object().contains(mutated));
      assertThat(loaded ^ named).as("%s loaded xor named, in:\n%s", mutated, problems).isTrue();
    }
    long mutatedProblems = snapshot.problems().stream()
        .filter(p -> batch.mutated.stream().anyMatch(m -> p.object().contains(m))).count();
    assertThat(snapshot.problems()).hasSize(batch.badNames.size() + batch.badNameless + (int) mutatedProblems);

    // Every good Service reaches the table and both backends' fake kernels.
    ForwardingTable table = TableBuilder.build(IpFamily.V4, tracker.drain().snapshot(), CONFIG);
    FakeNftKernel nft = new FakeNftKernel();
    new NftablesBackend(nft).sync(SyncRequest.full(TableChange.initial(table)));
    FakeIptKernel ipt = new FakeIptKernel();
    new IptablesBackend(ipt).sync(SyncRequest.full(TableChange.initial(table)));
    String nftState = nft.list(NftTable.kubeProxy(IpFamily.V4));
    String iptState = ipt.save(IpFamily.V4, IptTable.NAT) + ipt.save(IpFamily.V4, IptTable.FILTER);
    for (int good : batch.good) {
      NamespacedName id = NamespacedName.of("default", "good-" + good);
      assertThat(table.entries().keySet())
          .anyMatch(k -> k.service().equals(id) && k.portName().equals("http"));
      String clusterIp = FuzzBatch.clusterIp(good);
      assertThat(nftState).as("nft state for %s", id).contains(clusterIp + " ");
      assertThat(iptState).as("iptables state for %s", id).contains("-d " + clusterIp + " ");
    }
    // No bad object reached the kernel.
    assertThat(nftState).doesNotContain("10.97.").doesNotContain("169.254.169.254");
    assertThat(iptState).doesNotContain("10.97.").doesNotContain("169.254.169.254");
  }

}
