package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
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
import dev.kubeproxy.api.testing.SampleTables;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One service port the nftables compiler cannot compile costs only itself (issue 14): the fake
 * kernel ends as a fresh backend's full sync of the table without that port leaves it.
 */
class NftPortIsolationTest {
  private static final IpFamily V4 = IpFamily.V4;

  /** 24 generated service ports of every kind, ClientIP affinity among them. */
  private static ForwardingTable good() {
    return SampleTables.generated(V4, 24, 3, true);
  }

  /** {@code table} plus {@code entry}. */
  private static ForwardingTable with(ForwardingTable table, ServiceEntry entry) {
    Map<ServicePortKey, ServiceEntry> add = new HashMap<>();
    add.put(entry.key(), entry);
    return table.withEntries(add);
  }

  private static String freshFullSync(ForwardingTable table) throws Exception {
    FakeNftKernel kernel = new FakeNftKernel();
    new NftablesBackend(kernel, () -> 0L).sync(SyncRequest.full(TableChange.initial(table)));
    return kernel.dump();
  }

  @Test
  @DisplayName("ClientIP affinity on a port named with a space (an embedder's table, no API validation):"
      + " its set name is refused, every other port is programmed")
  void affinityNameNftRefuses() throws Exception {
    ServiceEntry sticky = SampleTables.generatedEntry(V4, 3, 3, true);
    assertThat(sticky.affinity()).isNotEqualTo(SessionAffinity.NONE);
    ServicePortKey badKey = ServicePortKey.of("ns9", "web", "web ui", Protocol.TCP);
    ServiceEntry bad = SampleTables.rekeyed(
        sticky.toBuilder().frontends(sticky.frontends().subList(0, 1)).build(), badKey);
    FakeNftKernel kernel = new FakeNftKernel();
    NftablesBackend backend = new NftablesBackend(kernel, () -> 0L);

    backend.sync(SyncRequest.full(TableChange.initial(with(good(), bad))));

    assertThat(backend.skipped(V4)).containsOnlyKeys(badKey);
    assertThat(backend.skipped(V4).get(badKey)).contains("bad nftables object name");
    assertThat(kernel.dump()).isEqualTo(freshFullSync(good()));
  }

  @Test
  @DisplayName("a compiler failing on one port: full and partial syncs program the rest, a fix programs it")
  void failingCompilerFullAndPartial() throws Exception {
    ServiceEntry adversarial = SampleTables.generatedEntry(V4, 40, 7, true);
    FakeNftKernel kernel = new FakeNftKernel();
    KitBackend<NftState, NftTransaction, ExistingObjects> backend = new KitBackend<>(
        "nftables",
        FailingCompiler.failingOn(new NftCompiler(), e -> e.internal().endpoints().size() == 7),
        kernel, () -> 0L);

    ForwardingTable first = with(good(), adversarial);
    backend.sync(SyncRequest.full(TableChange.initial(first)));
    assertThat(backend.skipped(V4)).containsOnlyKeys(adversarial.key());
    assertThat(kernel.dump()).isEqualTo(freshFullSync(good()));

    // A partial sync changing a good port and the adversarial one: the good change is applied.
    ServiceEntry changed = SampleTables.generatedEntry(V4, 5, 2, true);
    ServiceEntry stillBad = SampleTables.generatedEntry(V4, 40, 7, true).toBuilder()
        .healthCheckNodePort(31000).build();
    ForwardingTable second = with(with(first, changed), stillBad);
    backend.sync(SyncRequest.partial(new TableChange(
        V4, first, second, ImmutableSet.of(changed.key(), stillBad.key()))));
    assertThat(kernel.dump()).isEqualTo(freshFullSync(with(good(), changed)));

    ServiceEntry fixed = SampleTables.generatedEntry(V4, 40, 2, true);
    ForwardingTable third = with(second, fixed);
    backend.sync(SyncRequest.partial(new TableChange(V4, second, third, ImmutableSet.of(fixed.key()))));
    assertThat(backend.skipped(V4)).isEmpty();
    assertThat(kernel.dump()).isEqualTo(freshFullSync(third));
  }
}
