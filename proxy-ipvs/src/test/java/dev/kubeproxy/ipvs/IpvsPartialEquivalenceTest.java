package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.testing.PartialSyncScenario;
import dev.kubeproxy.api.testing.PartialSyncScenario.Clock;
import dev.kubeproxy.api.testing.PartialSyncScenario.Tables;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Partial syncs converge on what a full sync programs: after a random sequence of changes (both
 * families, with a full sync over the existing kernel now and then), once drained real servers have
 * been checked the fake kernel holds exactly what a fresh full sync of the final tables gives.
 */
class IpvsPartialEquivalenceTest {
  private static final IpvsConfig CONFIG = IpvsConfig.DEFAULT;

  /**
   * Clock jumps of 30 s, a full sync every tenth step, and a last sync after the check interval
   * that deletes the servers still draining; ExternalIPs shared, health check node ports.
   */
  private static final PartialSyncScenario SCENARIO =
      new PartialSyncScenario(
          30_000_000_000L, 10, CONFIG.gracefulCheckInterval().toNanos(), true, true);

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 20240601})
  void partialSyncsEqualAFreshFullSync(long seed) throws Exception {
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    Clock clock = new Clock();
    IpvsBackend backend = new IpvsBackend(kernel, CONFIG, clock);

    Tables end = SCENARIO.run(seed, backend, clock);
    assertThat(backend.committed(IpFamily.V4).draining()).isEmpty();

    FakeIpvsKernel fresh = new FakeIpvsKernel();
    new IpvsBackend(fresh).sync(end.fullSync());
    assertThat(kernel.dump()).as("seed %d", seed).isEqualTo(fresh.dump());
    assertThat(kernel.members("KUBE-CLUSTER-IP")).as("seed %d", seed).hasSize(end.v4().size());
  }
}
