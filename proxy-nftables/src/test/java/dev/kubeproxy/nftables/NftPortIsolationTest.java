package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.KitBackend;
import dev.kubeproxy.api.testing.FailingCompiler;
import dev.kubeproxy.api.testing.PortIsolationScenario;
import dev.kubeproxy.api.testing.SampleTables;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One service port the nftables compiler cannot compile costs only itself (issue 14): the fake
 * kernel ends as a fresh backend's full sync of the table without that port leaves it.
 */
class NftPortIsolationTest {
  private static final IpFamily V4 = IpFamily.V4;

  private static String freshFullSync(ForwardingTable table) throws Exception {
    FakeNftKernel kernel = new FakeNftKernel();
    new NftablesBackend(kernel, () -> 0L).sync(SyncRequest.full(TableChange.initial(table)));
    return kernel.dump();
  }

  @Test
  @DisplayName("ClientIP affinity on a port named with a space (an embedder's table, no API validation)"
      + " is programmed like any other: no kernel object is named after a service port")
  void affinityPortNamedWithSpace() throws Exception {
    // Entry 27 (kind 3, ClientIP affinity) is not among the 24 of the good table.
    ServiceEntry sticky = SampleTables.generatedEntry(V4, 27, 3, true);
    assertThat(sticky.affinity()).isNotEqualTo(SessionAffinity.NONE);
    ServicePortKey badKey = ServicePortKey.of("ns9", "web", "web ui", Protocol.TCP);
    ServiceEntry bad = SampleTables.rekeyed(
        sticky.toBuilder().frontends(sticky.frontends().subList(0, 1)).build(), badKey);
    FakeNftKernel kernel = new FakeNftKernel();
    NftablesBackend backend = new NftablesBackend(kernel, () -> 0L);

    ForwardingTable table = PortIsolationScenario.with(PortIsolationScenario.good(), bad);
    backend.sync(SyncRequest.full(TableChange.initial(table)));

    assertThat(backend.skipped(V4)).isEmpty();
    assertThat(kernel.dump()).isNotEqualTo(freshFullSync(PortIsolationScenario.good()))
        .isEqualTo(freshFullSync(table));
  }

  @Test
  @DisplayName("a compiler failing on one port: full and partial syncs program the rest, a fix programs it")
  void failingCompilerFullAndPartial() throws Exception {
    new PortIsolationScenario<FakeNftKernel>(
            FakeNftKernel::new,
            (kernel, fails) -> new KitBackend<>(
                "nftables", FailingCompiler.failingOn(new NftCompiler(), fails), kernel, () -> 0L),
            kernel -> new NftablesBackend(kernel, () -> 0L),
            FakeNftKernel::dump)
        .run();
  }
}
