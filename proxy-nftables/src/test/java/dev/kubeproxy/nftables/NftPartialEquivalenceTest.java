package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.testing.PartialSyncScenario;
import dev.kubeproxy.api.testing.PartialSyncScenario.Clock;
import dev.kubeproxy.api.testing.PartialSyncScenario.Tables;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Partial syncs converge on what a full sync programs: after a random sequence of changes
 * applied partially (both families in one transaction), the fake kernel holds exactly what a
 * fresh full sync of the final tables gives.
 */
class NftPartialEquivalenceTest {
  /**
   * Clock jumps of 0.6 s, partial syncs only, and a last sync after the stale-chain delay that
   * deletes the chains flushed last; an ExternalIP per port, no health check node ports.
   */
  private static final PartialSyncScenario SCENARIO =
      new PartialSyncScenario(600_000_000L, 0, NftCompiler.STALE_CHAIN_DELAY_NANOS, false, false);

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 20240601})
  void partialSyncsEqualAFreshFullSync(long seed) throws Exception {
    FakeNftKernel kernel = new FakeNftKernel();
    Clock clock = new Clock();
    NftablesBackend backend = new NftablesBackend(kernel, clock);
    Tables end = SCENARIO.run(seed, backend, clock);

    // A full sync by the same backend (same affinity slot history) changes nothing.
    String partial = kernel.dump();
    backend.sync(end.fullSync());
    assertThat(kernel.dump()).as("seed %d", seed).isEqualTo(partial);

    // A fresh backend numbers affinity slots without history (no holes); everything else, and
    // which endpoints each affinity frontend uses, is the same.
    FakeNftKernel fresh = new FakeNftKernel();
    new NftablesBackend(fresh).sync(end.fullSync());
    for (IpFamily family : IpFamily.values()) {
      NftTable table = NftTable.kubeProxy(family);
      assertThat(withoutAffinityGroups(kernel.sets(table)))
          .isEqualTo(withoutAffinityGroups(fresh.sets(table)));
      assertThat(withoutAffinityGroups(kernel.chains(table)))
          .isEqualTo(withoutAffinityGroups(fresh.chains(table)));
      for (String set : withoutAffinityGroups(fresh.sets(table))) {
        if (!set.endsWith("-affinity-pick")) {
          assertThat(withoutAffinityGroups(kernel.elements(table, set))).as("seed %d %s", seed, set)
              .containsExactlyInAnyOrderElementsOf(withoutAffinityGroups(fresh.elements(table, set)));
        }
      }
      assertThat(affinityEndpoints(kernel, table)).as("seed %d", seed)
          .isEqualTo(affinityEndpoints(fresh, table));
    }
    assertThat(kernel.elements(NftTable.kubeProxy(IpFamily.V4), "cluster-ips")).as("seed %d", seed)
        .hasSize((int) end.v4().entries().values().stream().map(ServiceEntry::clusterIp).distinct().count());
  }

  /** {@code names} without affinity groups and without elements that jump to one. */
  private static List<String> withoutAffinityGroups(List<String> names) {
    return names.stream().filter(n -> !n.matches(".*-affinity-(tcp|udp|sctp)-.*"))
        .toList();
  }

  /** Per affinity group's space and frontend, the endpoints its slots hold. */
  private static Map<String, java.util.Set<String>> affinityEndpoints(FakeNftKernel kernel,
      NftTable table) {
    Map<String, java.util.Set<String>> out = new java.util.TreeMap<>();
    for (String set : kernel.sets(table)) {
      Group group = Group.parse(set);
      if (group == null || !group.isAffinity()) {
        continue;
      }
      for (String element : kernel.elements(table, set)) {
        String key = element.substring(0, element.indexOf(" : "));
        String frontend = group.space() + " " + key.substring(0, key.lastIndexOf(" . "));
        out.computeIfAbsent(frontend, f -> new java.util.TreeSet<>())
            .add(element.substring(element.indexOf(" : ") + 3));
      }
    }
    return out;
  }
}
