package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The backend on the kit: a kernel that changed behind its back makes a partial sync fail, the
 * backend forgets, and the next sync, full, reads the kernel and repairs it; the provider builds
 * a backend whose dry-run touches nothing.
 */
class IpvsBackendTest {
  @Test
  void aFailedSyncIsRepairedByTheNextFullOne() throws Exception {
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    IpvsBackend backend = new IpvsBackend(kernel);
    ForwardingTable before = SampleTables.generated(IpFamily.V4, 20, 3, true);
    backend.sync(SyncRequest.full(TableChange.initial(before)));
    String good = kernel.dump();

    kernel.cleanup(); // someone flushed everything
    ServiceEntry entry = before.sortedEntries().get(0);
    ServicePortKey key = entry.key();
    ForwardingTable after = before.withEntries(Collections.singletonMap(key, null));
    TableChange delete = new TableChange(IpFamily.V4, before, after, ImmutableSet.of(key));
    assertThatThrownBy(() -> backend.sync(SyncRequest.partial(delete)))
        .isInstanceOf(SyncException.class)
        .hasMessageContaining("does not exist");
    assertThat(backend.committed(IpFamily.V4)).isNull();

    backend.sync(SyncRequest.partial(delete));
    FakeIpvsKernel fresh = new FakeIpvsKernel();
    new IpvsBackend(fresh).sync(SyncRequest.full(TableChange.initial(after)));
    assertThat(kernel.dump()).isEqualTo(fresh.dump()).isNotEqualTo(good);
  }

  @Test
  void theProviderBuildsARealBackendWhoseDryRunRunsNoTool() throws Exception {
    List<String> ran = new ArrayList<>();
    BackendContext context =
        new BackendContext(
            command -> {
              ran.add(command.toString());
              return new CommandResult(0, "", "");
            },
            () -> 0L,
            "6.1.0-28-cloud-amd64",
            ImmutableMap.of());
    Backend backend = new IpvsProvider().create(context);
    assertThat(backend.mode()).isEqualTo("ipvs");
    String text =
        backend.render(
            SyncRequest.full(TableChange.initial(SampleTables.allFeatures(IpFamily.V4))));
    assertThat(text).contains("# ipvsadm -R", "-A -t 10.96.0.10:80 -s rr");
    assertThat(ran).isEmpty();
  }
}
