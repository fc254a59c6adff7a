package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.KitBackend;
import dev.kubeproxy.api.testing.FailingCompiler;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One service port the ipvs compiler cannot compile costs only itself (issue 14): the kit
 * around the real compiler (made to fail on one adversarial port) and the fake kernel ends as a
 * fresh backend's full sync of the table without that port leaves it.
 */
class IpvsPortIsolationTest {
  private static final IpFamily V4 = IpFamily.V4;

  private static ForwardingTable good() {
    return SampleTables.generated(V4, 24, 3, true);
  }

  private static ForwardingTable with(ForwardingTable table, ServiceEntry entry) {
    return table.withEntries(Map.of(entry.key(), entry));
  }

  private static String dump(FakeIpvsKernel kernel) {
    return kernel.dump();
  }

  private static String freshFullSync(ForwardingTable table) throws Exception {
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    new IpvsBackend(kernel, IpvsConfig.DEFAULT, () -> 0L).sync(SyncRequest.full(TableChange.initial(table)));
    return dump(kernel);
  }

  @Test
  @DisplayName("a compiler failing on one port: full and partial syncs program the rest, a fix programs it")
  void failingCompilerFullAndPartial() throws Exception {
    ServiceEntry adversarial = SampleTables.generatedEntry(V4, 40, 7, true);
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    KitBackend<IpvsState, IpvsTransaction, IpvsExisting> backend = new KitBackend<>(
        "ipvs",
        FailingCompiler.failingOn(new IpvsCompiler(IpvsConfig.DEFAULT, kernel), e -> e.internal().endpoints().size() == 7),
        kernel, () -> 0L);

    ForwardingTable first = with(good(), adversarial);
    backend.sync(SyncRequest.full(TableChange.initial(first)));
    assertThat(backend.skipped(V4)).containsOnlyKeys(adversarial.key());
    assertThat(dump(kernel)).isEqualTo(freshFullSync(good()));

    ServiceEntry changed = SampleTables.generatedEntry(V4, 5, 2, true);
    ServiceEntry stillBad = adversarial.toBuilder().healthCheckNodePort(31000).build();
    ForwardingTable second = with(with(first, changed), stillBad);
    backend.sync(SyncRequest.partial(new TableChange(
        V4, first, second, ImmutableSet.of(changed.key(), stillBad.key()))));
    assertThat(backend.skipped(V4)).containsOnlyKeys(adversarial.key());
    assertThat(dump(kernel)).isEqualTo(freshFullSync(with(good(), changed)));

    ServiceEntry fixed = SampleTables.generatedEntry(V4, 40, 2, true);
    ForwardingTable third = with(second, fixed);
    backend.sync(SyncRequest.partial(new TableChange(V4, second, third, ImmutableSet.of(fixed.key()))));
    assertThat(backend.skipped(V4)).isEmpty();
    assertThat(dump(kernel)).isEqualTo(freshFullSync(third));
  }
}
