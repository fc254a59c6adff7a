package dev.kubeproxy.model.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.mockStatic;
import static org.mockito.Mockito.when;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.PendingChanges;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableBuilder;
import dev.kubeproxy.model.TableUpdate;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.mockito.MockedStatic;

/** The production seam only wires ChangeTracker and TableBuilder; checked with mocks of both. */
class TrackerTableSourceTest {
  final ChangeTracker tracker = mock(ChangeTracker.class);
  final ProxyConfig config = ProxyConfig.defaults("node-1");
  final TrackerTableSource source = new TrackerTableSource(tracker, config);

  @Test
  @DisplayName("ready() is the tracker's initial-listing flag and drain() its drain")
  void delegatesToTracker() {
    PendingChanges pending =
        new PendingChanges(ClusterSnapshot.EMPTY, ImmutableSet.of(), false, 0, 0, null);
    when(tracker.initialListingDone()).thenReturn(true);
    when(tracker.drain()).thenReturn(pending);
    assertThat(source.ready()).isTrue();
    assertThat(source.drain()).isSameAs(pending);
  }

  @Test
  @DisplayName("build() and update() call TableBuilder with the proxy's config")
  void delegatesToBuilder() {
    ForwardingTable table = ForwardingTable.empty(IpFamily.V4);
    TableUpdate update = new TableUpdate(table, ImmutableSet.of());
    Set<NamespacedName> changed = Set.of(NamespacedName.of("ns", "a"));
    try (MockedStatic<TableBuilder> builder = mockStatic(TableBuilder.class)) {
      builder.when(() -> TableBuilder.build(IpFamily.V4, ClusterSnapshot.EMPTY, config))
          .thenReturn(table);
      builder.when(() -> TableBuilder.update(
              table, ClusterSnapshot.EMPTY, ClusterSnapshot.EMPTY, config, changed))
          .thenReturn(update);
      assertThat(source.build(IpFamily.V4, ClusterSnapshot.EMPTY)).isSameAs(table);
      assertThat(source.update(table, ClusterSnapshot.EMPTY, ClusterSnapshot.EMPTY, changed))
          .isSameAs(update);
    }
  }
}
