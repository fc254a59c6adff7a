package dev.kubeproxy.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.iptables.IptCompiler;
import org.junit.jupiter.api.Test;

/**
 * The upstream-approach text of the iptables kernel benchmark: the dispatch chains and filter
 * rewritten in full, plus only the changed service's own chains, and no jumps from built-in
 * chains; so it grows with the number of services while ours does not.
 */
class IptablesKernelBenchmarkTest {
  @Test
  void upstreamTextRewritesDispatchChainsAndOnlyTheChangedServiceChains() {
    Workload workload = Workload.generate(200, 3, 42);
    LoadedModel model = LoadedModel.load(workload);
    OneEndpointChanges events = OneEndpointChanges.of(workload, 10);
    TableChange change = model.applyAsChange(events.next());

    String text = IptablesKernelBenchmark.upstreamText(new IptCompiler(), change);

    assertThat(text).contains(":KUBE-SERVICES - [0:0]").contains(":KUBE-NODEPORTS - [0:0]")
        .doesNotContain("-I PREROUTING").doesNotContain("KUBE-PROXY-CANARY");
    long svcChains = text.lines().filter(l -> l.startsWith(":KUBE-SVC-")).count();
    assertThat(svcChains).isBetween(1L, 2L);
    long dispatch = text.lines().filter(l -> l.startsWith("-A KUBE-SERVICES ")).count();
    assertThat(dispatch).isGreaterThan(150);
  }
}
