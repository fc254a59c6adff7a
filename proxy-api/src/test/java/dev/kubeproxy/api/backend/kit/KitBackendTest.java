package dev.kubeproxy.api.backend.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The kit's sync loop with a recording compiler and kernel. */
class KitBackendTest {
  /** A transaction naming what was compiled, e.g. {@code V4 full of 3 on <existing>}. */
  record Tx(String text, int size) implements KernelTransaction {}

  private final List<String> calls = new ArrayList<>();
  private boolean failApply;

  private final BackendCompiler<Integer, Tx, String> compiler = new BackendCompiler<>() {
    @Override
    public boolean compilesFully(TableChange change, boolean full, Integer committed) {
      return full || committed == null;
    }

    @Override
    public String nothingInstalled(IpFamily family) {
      return "nothing";
    }

    @Override
    public Compiled<Integer, Tx> compile(
        TableChange change, boolean full, Integer committed, String existing, long now) {
      boolean whole = compilesFully(change, full, committed);
      String text = change.family() + (whole ? " full on " + existing : " delta from " + committed);
      return new Compiled<>(new Tx(text, 1), change.next().size());
    }

    @Override
    public String render(Map<IpFamily, Tx> transactions) {
      StringBuilder out = new StringBuilder();
      transactions.values().forEach(t -> out.append(t.text()).append('\n'));
      return out.toString();
    }
  };

  private final BackendKernel<Tx, String> kernel = new BackendKernel<>() {
    @Override
    public String read(IpFamily family) {
      calls.add("read " + family);
      return "kernel-" + family;
    }

    @Override
    public long apply(Map<IpFamily, Tx> transactions) throws KernelException {
      calls.add("apply " + compiler.render(transactions).strip().replace('\n', '|'));
      if (failApply) {
        throw new KernelException("refused: bad rule");
      }
      return 10;
    }

    @Override
    public void cleanup() {
      calls.add("cleanup");
    }
  };

  private final KitBackend<Integer, Tx, String> backend =
      new KitBackend<>("test", compiler, kernel, () -> 0L);

  private static TableChange change(IpFamily family) {
    ForwardingTable table = SampleTables.allFeatures(family);
    return TableChange.initial(table);
  }

  @Test
  @DisplayName("a full sync reads each family, applies both in one call and remembers; a partial one reads nothing")
  void readsOnlyOnFullSyncs() throws Exception {
    backend.sync(SyncRequest.full(change(IpFamily.V4), change(IpFamily.V6)));
    assertThat(calls).containsExactly(
        "read V4", "read V6", "apply V4 full on kernel-V4|V6 full on kernel-V6");
    assertThat(backend.committed(IpFamily.V4)).isEqualTo(change(IpFamily.V4).next().size());

    calls.clear();
    backend.sync(SyncRequest.partial(change(IpFamily.V4)));
    assertThat(calls).containsExactly("apply V4 delta from " + backend.committed(IpFamily.V4));
  }

  @Test
  @DisplayName("a failed apply forgets every family, so the next sync reads the kernel and compiles in full")
  void failureForgets() throws Exception {
    backend.sync(SyncRequest.full(change(IpFamily.V4), change(IpFamily.V6)));
    failApply = true;
    assertThatThrownBy(() -> backend.sync(SyncRequest.partial(change(IpFamily.V4))))
        .isInstanceOf(SyncException.class).hasMessageContaining("refused: bad rule");
    assertThat(backend.committed(IpFamily.V4)).isNull();
    assertThat(backend.committed(IpFamily.V6)).isNull();

    failApply = false;
    calls.clear();
    backend.sync(SyncRequest.partial(change(IpFamily.V4)));
    assertThat(calls).containsExactly("read V4", "apply V4 full on kernel-V4");
  }

  @Test
  @DisplayName("render compiles as if the node held nothing and touches neither the kernel nor the state")
  void renderIsPure() throws Exception {
    String text = backend.render(SyncRequest.full(change(IpFamily.V4)));
    assertThat(text).isEqualTo("V4 full on nothing\n");
    assertThat(calls).isEmpty();
    assertThat(backend.committed(IpFamily.V4)).isNull();
  }
}
