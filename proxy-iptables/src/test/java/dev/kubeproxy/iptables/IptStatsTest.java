package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.backend.BackendStats.Metric;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The backend's upstream metrics: rules owned equal the rules the fake kernel holds in our
 * chains; rules written by the last sync follow its transaction; failed restores and failed
 * partial syncs are counted per family.
 */
class IptStatsTest {
  private static double value(IptablesBackend backend, String name, Map<String, String> labels) {
    for (Metric m : backend.metrics()) {
      if (m.name().equals(name)) {
        return m.samples().stream().filter(s -> s.labels().equals(labels)).findFirst()
            .orElseThrow(() -> new AssertionError(name + labels + " missing")).value();
      }
    }
    throw new AssertionError(name + " missing");
  }

  /** Rules in our chains (not the built-in ones) of a fake-kernel table. */
  private static long kernelRules(FakeIptKernel kernel, IptTable table) {
    return kernel.chains(IpFamily.V4, table).entrySet().stream()
        .filter(e -> !table.builtinChains().contains(e.getKey()))
        .mapToLong(e -> e.getValue().size()).sum();
  }

  @Test
  void countsFollowTheKernelAndFailures() throws Exception {
    FakeIptKernel kernel = new FakeIptKernel();
    IptablesBackend backend = new IptablesBackend(kernel);
    ForwardingTable table = SampleTables.allFeatures(IpFamily.V4);
    backend.sync(SyncRequest.full(TableChange.initial(table)));
    var nat = ImmutableMap.of("ip_family", "IPv4", "table", "nat");
    var filter = ImmutableMap.of("ip_family", "IPv4", "table", "filter");
    assertThat(value(backend, IptStats.RULES_TOTAL, nat)).isEqualTo(kernelRules(kernel, IptTable.NAT));
    assertThat(value(backend, IptStats.RULES_TOTAL, filter))
        .isEqualTo(kernelRules(kernel, IptTable.FILTER));
    assertThat(value(backend, IptStats.RULES_LAST, nat)).isGreaterThan(20);

    // A one-endpoint change writes a few rules; the total still matches the kernel.
    ServiceEntry entry = SampleTables.generatedEntry(IpFamily.V4, 3, 2, false);
    ForwardingTable next = table.withEntries(Map.of(entry.key(), entry));
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, table, next, ImmutableSet.of(entry.key()))));
    assertThat(value(backend, IptStats.RULES_LAST, nat)).isBetween(1.0, 10.0);
    assertThat(value(backend, IptStats.RULES_TOTAL, nat)).isEqualTo(kernelRules(kernel, IptTable.NAT));
    assertThat(value(backend, IptStats.RULES_TOTAL, filter))
        .isEqualTo(kernelRules(kernel, IptTable.FILTER));

    // Someone removed our dispatch chain: the next partial restore fails, counted both ways.
    kernel.apply(IpFamily.V4, IptTransaction.builder()
        .add(IptTable.NAT, new IptOp.DeclareChain(IptNames.SERVICES)).build());
    ForwardingTable after = next.withEntries(java.util.Collections.singletonMap(entry.key(), null));
    assertThatThrownBy(() -> backend.sync(SyncRequest.partial(
        new TableChange(IpFamily.V4, next, after, ImmutableSet.of(entry.key())))))
        .isInstanceOf(SyncException.class);
    var v4 = ImmutableMap.of("ip_family", "IPv4");
    assertThat(value(backend, IptStats.RESTORE_FAILURES, v4)).isEqualTo(1);
    assertThat(value(backend, IptStats.PARTIAL_RESTORE_FAILURES, v4)).isEqualTo(1);
    assertThat(value(backend, IptStats.RESTORE_FAILURES, ImmutableMap.of("ip_family", "IPv6")))
        .isEqualTo(0);
  }
}
