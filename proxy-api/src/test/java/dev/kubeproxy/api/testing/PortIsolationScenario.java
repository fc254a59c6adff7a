package dev.kubeproxy.api.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.KitBackend;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The scenario every kit backend runs on its fake kernel to show that one service port its
 * compiler cannot compile costs only itself (issue 14): full and partial syncs program the rest
 * exactly as a fresh backend's full sync of the table without that port would, and a fixed port
 * is programmed by the next partial sync.
 *
 * @param kernels a new, empty fake kernel
 * @param failingBackend the kit around the backend's real compiler, failing on the entries the
 *     predicate accepts, over the given kernel
 * @param backend the backend as users build it, over the given kernel
 * @param dump the kernel's state as comparable text
 */
public record PortIsolationScenario<K>(
    Supplier<K> kernels,
    BiFunction<K, Predicate<ServiceEntry>, KitBackend<?, ?, ?>> failingBackend,
    Function<K, Backend> backend,
    Function<K, String> dump) {
  private static final IpFamily V4 = IpFamily.V4;

  /** A compiler failing on one port: full and partial syncs program the rest, a fix programs it. */
  public void run() throws Exception {
    ServiceEntry adversarial = SampleTables.generatedEntry(V4, 40, 7, true);
    K kernel = kernels.get();
    KitBackend<?, ?, ?> kit =
        failingBackend.apply(kernel, e -> e.internal().endpoints().size() == 7);

    ForwardingTable first = with(good(), adversarial);
    kit.sync(SyncRequest.full(TableChange.initial(first)));
    assertThat(kit.skipped(V4)).containsOnlyKeys(adversarial.key());
    assertThat(dump.apply(kernel)).isEqualTo(freshFullSync(good()));

    // A partial sync changing a good port and the adversarial one: the good change is applied.
    ServiceEntry changed = SampleTables.generatedEntry(V4, 5, 2, true);
    ServiceEntry stillBad = adversarial.toBuilder().healthCheckNodePort(31000).build();
    ForwardingTable second = with(with(first, changed), stillBad);
    kit.sync(SyncRequest.partial(new TableChange(
        V4, first, second, ImmutableSet.of(changed.key(), stillBad.key()))));
    assertThat(kit.skipped(V4)).containsOnlyKeys(adversarial.key());
    assertThat(dump.apply(kernel)).isEqualTo(freshFullSync(with(good(), changed)));

    ServiceEntry fixed = SampleTables.generatedEntry(V4, 40, 2, true);
    ForwardingTable third = with(second, fixed);
    kit.sync(SyncRequest.partial(new TableChange(V4, second, third, ImmutableSet.of(fixed.key()))));
    assertThat(kit.skipped(V4)).isEmpty();
    assertThat(dump.apply(kernel)).isEqualTo(freshFullSync(third));
  }

  /** The table every port of which compiles. */
  public static ForwardingTable good() {
    return SampleTables.generated(V4, 24, 3, true);
  }

  public static ForwardingTable with(ForwardingTable table, ServiceEntry entry) {
    return table.withEntries(Map.of(entry.key(), entry));
  }

  private String freshFullSync(ForwardingTable table) throws Exception {
    K kernel = kernels.get();
    backend.apply(kernel).sync(SyncRequest.full(TableChange.initial(table)));
    return dump.apply(kernel);
  }
}
