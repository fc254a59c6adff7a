package dev.kubeproxy.api.backend.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.BackendStats;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The kit's per-port isolation with a compiler that refuses adversarial entries (here: any with
 * exactly {@value #BAD} endpoints) and a fake kernel holding the set of programmed keys.
 */
class PortIsolationTest {
  private static final int BAD = 7;
  private static final IpFamily V4 = IpFamily.V4;

  /** A transaction: the keys to add and to delete. */
  record Tx(Set<ServicePortKey> add, Set<ServicePortKey> delete) implements KernelTransaction {
    @Override
    public int size() {
      return add.size() + delete.size();
    }
  }

  private final Set<ServicePortKey> kernelKeys = new TreeSet<>();
  private final List<Integer> compileSizes = new ArrayList<>();
  private boolean failTableWide;

  private final BackendCompiler<ImmutableSet<ServicePortKey>, Tx, Set<ServicePortKey>> compiler =
      new BackendCompiler<>() {
        @Override
        public boolean compilesFully(TableChange change, boolean full, ImmutableSet<ServicePortKey> committed) {
          return full || committed == null;
        }

        @Override
        public Set<ServicePortKey> nothingInstalled(IpFamily family) {
          return Set.of();
        }

        @Override
        public Compiled<ImmutableSet<ServicePortKey>, Tx> compile(TableChange change, boolean full,
            ImmutableSet<ServicePortKey> committed, Set<ServicePortKey> existing, long now) {
          if (failTableWide) {
            throw new IllegalStateException("table-wide facts do not compile");
          }
          boolean whole = compilesFully(change, full, committed);
          Set<ServicePortKey> state = new TreeSet<>(whole ? Set.of() : committed);
          Set<ServicePortKey> add = new TreeSet<>();
          Set<ServicePortKey> delete = new TreeSet<>(whole ? existing : Set.of());
          Iterable<ServicePortKey> keys = whole ? change.next().entries().keySet() : change.changedKeys();
          int compiled = 0;
          for (ServicePortKey key : keys) {
            ServiceEntry entry = change.next().entry(key);
            if (entry == null) {
              delete.add(key);
              state.remove(key);
              continue;
            }
            compiled++;
            if (entry.internal().endpoints().size() == BAD) {
              throw new IllegalArgumentException("bad nftables object name for " + key);
            }
            add.add(key);
            state.add(key);
          }
          compileSizes.add(compiled);
          return new Compiled<>(new Tx(add, delete), ImmutableSet.copyOf(state));
        }

        @Override
        public String render(Map<IpFamily, Tx> transactions) {
          return transactions.values().toString();
        }
      };

  private final BackendKernel<Tx, Set<ServicePortKey>> kernel = new BackendKernel<>() {
    @Override
    public Set<ServicePortKey> read(IpFamily family) {
      return Set.copyOf(kernelKeys);
    }

    @Override
    public long apply(Map<IpFamily, Tx> transactions) {
      for (Tx tx : transactions.values()) {
        kernelKeys.removeAll(tx.delete());
        kernelKeys.addAll(tx.add());
      }
      return 1;
    }

    @Override
    public void cleanup() {
      kernelKeys.clear();
    }
  };

  private final KitBackend<ImmutableSet<ServicePortKey>, Tx, Set<ServicePortKey>> backend =
      new KitBackend<>("test", compiler, kernel, () -> 0L);

  private static ServiceEntry entry(int i, int endpoints) {
    return SampleTables.generatedEntry(V4, i, endpoints, true);
  }

  /** 40 good service ports, and port 13 made adversarial. */
  private static ForwardingTable tableWithBadPort() {
    Map<ServicePortKey, ServiceEntry> entries = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      ServiceEntry e = entry(i, i == 13 ? BAD : 2);
      entries.put(e.key(), e);
    }
    return SampleTables.emptyNode(V4).withEntries(entries);
  }

  private static Set<ServicePortKey> goodKeys(ForwardingTable table) {
    Set<ServicePortKey> keys = new TreeSet<>(table.entries().keySet());
    keys.remove(entry(13, 2).key());
    return keys;
  }

  private double metric(String name) {
    return backend.metrics().stream().filter(m -> m.name().equals(name))
        .flatMap(m -> m.samples().stream())
        .filter(s -> s.labels().get("ip_family").equals("IPv4"))
        .mapToDouble(BackendStats.Sample::value).sum();
  }

  @Test
  @DisplayName("a full sync with one port that does not compile programs the 39 others and names the bad one")
  void fullSyncSkipsTheBadPort() throws Exception {
    ForwardingTable table = tableWithBadPort();
    backend.sync(SyncRequest.full(TableChange.initial(table)));

    assertThat(kernelKeys).isEqualTo(goodKeys(table));
    assertThat(backend.committed(V4)).isEqualTo(goodKeys(table));
    assertThat(backend.skipped(V4)).containsOnlyKeys(entry(13, 2).key());
    assertThat(backend.skipped(V4).get(entry(13, 2).key())).contains("bad nftables object name");
    assertThat(metric(KitBackend.SKIPPED_TOTAL)).isEqualTo(1);
    assertThat(metric(KitBackend.SKIPPED)).isEqualTo(1);
  }

  @Test
  @DisplayName("a port that stays bad is neither retried nor counted again by partial syncs; fixed, it is programmed")
  void partialSyncs() throws Exception {
    ForwardingTable first = tableWithBadPort();
    backend.sync(SyncRequest.full(TableChange.initial(first)));

    // Another port changes: the bad one is not compiled again (one entry compiled), still skipped.
    ServiceEntry changed = entry(5, 3);
    ForwardingTable second = first.withEntries(Map.of(changed.key(), changed));
    compileSizes.clear();
    backend.sync(SyncRequest.partial(
        new TableChange(V4, first, second, ImmutableSet.of(changed.key()))));
    assertThat(compileSizes).containsExactly(1);
    assertThat(kernelKeys).isEqualTo(goodKeys(second));
    assertThat(metric(KitBackend.SKIPPED_TOTAL)).isEqualTo(1);

    // The bad port is fixed: the compiler sees it as new, the kernel gets it.
    ServiceEntry fixed = entry(13, 2);
    ForwardingTable third = second.withEntries(Map.of(fixed.key(), fixed));
    backend.sync(SyncRequest.partial(
        new TableChange(V4, second, third, ImmutableSet.of(fixed.key()))));
    assertThat(kernelKeys).isEqualTo(third.entries().keySet());
    assertThat(backend.skipped(V4)).isEmpty();
    assertThat(metric(KitBackend.SKIPPED)).isZero();
    assertThat(metric(KitBackend.SKIPPED_TOTAL)).isEqualTo(1);
  }

  @Test
  @DisplayName("a partial sync whose changed port turns bad removes that port, as a full sync would, and applies the rest")
  void partialSyncWithNewBadPort() throws Exception {
    Map<ServicePortKey, ServiceEntry> good = new HashMap<>();
    for (int i = 0; i < 10; i++) {
      good.put(entry(i, 2).key(), entry(i, 2));
    }
    ForwardingTable first = SampleTables.emptyNode(V4).withEntries(good);
    backend.sync(SyncRequest.full(TableChange.initial(first)));

    ServiceEntry turnsBad = entry(3, BAD);
    ServiceEntry added = entry(20, 2);
    ForwardingTable second = first.withEntries(Map.of(turnsBad.key(), turnsBad, added.key(), added));
    backend.sync(SyncRequest.partial(
        new TableChange(V4, first, second, ImmutableSet.of(turnsBad.key(), added.key()))));

    // Skipped means absent from the kernel, whichever sync found it: the new port is in.
    Set<ServicePortKey> expected = new TreeSet<>(second.entries().keySet());
    expected.remove(turnsBad.key());
    assertThat(kernelKeys).isEqualTo(expected);
    assertThat(backend.skipped(V4)).containsOnlyKeys(turnsBad.key());
  }

  @Test
  @DisplayName("a failure no single port causes still fails the sync, and the next one is full")
  void tableWideFailureFails() throws Exception {
    failTableWide = true;
    assertThatThrownBy(() -> backend.sync(SyncRequest.full(TableChange.initial(tableWithBadPort()))))
        .isInstanceOf(SyncException.class).hasMessageContaining("table-wide facts");
    assertThat(backend.committed(V4)).isNull();
    assertThat(kernelKeys).isEmpty();
  }

  @Test
  @DisplayName("render (--dry-run) leaves out the bad port and renders the others")
  void renderSkips() throws Exception {
    String text = backend.render(SyncRequest.full(TableChange.initial(tableWithBadPort())));
    assertThat(text).contains(entry(12, 2).key().toString()).doesNotContain("svc13:");
    assertThat(backend.committed(V4)).isNull();
  }
}
