package dev.kubeproxy.model.conformance;

import static dev.kubeproxy.model.conformance.LabCluster.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Many endpoint changes in bursts, each burst one partial sync, as a busy cluster's rollouts
 * produce them: the proxy's heap stays flat (nothing grows with the history of changes, only
 * with the current state), and the kernel ends exactly as a fresh backend's full sync of the
 * final tables leaves it. A backend runs it as {@code <Mode>BurstKernelTest}; it needs no traffic.
 */
public abstract class BurstConformanceSuite extends LabSuite {
  static final int SERVICES = 50;
  /** Endpoint addresses each service draws from (none of them a lab pod: no traffic is sent). */
  static final int POOL = 20;
  static final int BURSTS = 100;
  static final int CHANGES_PER_BURST = 100;
  /** Bursts run before the heap is first measured, so class loading and JIT are done. */
  static final int WARM_UP_BURSTS = 10;
  /**
   * How much the heap after GC may grow over the 10,000 changes. The state itself is the same
   * size at both ends (50 services, about half their endpoints); what is measured is leakage.
   */
  static final long HEAP_GROWTH_BOUND = 8L << 20;

  /** Longer than any backend defers a deletion (nftables: 1 s). */
  static final long QUIET_SYNC_DELAY_MS = 1500;

  /** One service's endpoints: pool index -> ready (true) or serving-and-terminating (false). */
  private final List<Map<Integer, Boolean>> endpoints = new ArrayList<>();

  @Test
  @DisplayName("10,000 endpoint changes in 100 bursts: heap after GC flat (under 8 MiB growth),"
      + " kernel equal to a fresh full sync of the final tables")
  void burstsOfEndpointChanges() throws Exception {
    Random random = new Random(10_000);
    for (int s = 0; s < SERVICES; s++) {
      Map<Integer, Boolean> eps = new TreeMap<>();
      for (int j = 0; j < POOL; j += 2) {
        eps.put(j, true);
      }
      endpoints.add(eps);
      cluster.upsert(service("burst-" + s, "10.96.3." + (s + 1)).build());
      cluster.upsert(slice(s));
    }
    cluster.sync();
    // The node as the final comparison finds it: what a cleanup leaves (iptables keeps kubelet's
    // KUBE-FIREWALL jumps), then a fresh backend's full sync.
    cluster.backend().cleanup();
    cluster.restartBackend();

    for (int b = 0; b < WARM_UP_BURSTS; b++) {
      burst(random);
    }
    long heapBefore = usedHeapAfterGc();
    long start = System.nanoTime();
    for (int b = 0; b < BURSTS; b++) {
      burst(random);
    }
    long syncMs = (System.nanoTime() - start) / 1_000_000;
    long heapAfter = usedHeapAfterGc();
    System.out.printf("bursts %s: %d changes in %d syncs, %d ms; heap after GC %d KiB -> %d KiB%n",
        mode(), BURSTS * CHANGES_PER_BURST, BURSTS, syncMs, heapBefore >> 10, heapAfter >> 10);
    assertThat(heapAfter - heapBefore).as("heap growth over %s changes (bytes)",
        BURSTS * CHANGES_PER_BURST).isLessThan(HEAP_GROWTH_BOUND);

    // Backends may defer deleting what they no longer use (nftables drops an unused chain a
    // second later, as upstream): one quiet sync after that delay lets them finish.
    Thread.sleep(QUIET_SYNC_DELAY_MS);
    cluster.sync();
    String incremental = cluster.normalizedListing();
    for (int s = 0; s < SERVICES; s++) {
      for (Map.Entry<Integer, Boolean> e : endpoints.get(s).entrySet()) {
        if (e.getValue()) {
          // Ready endpoints are programmed (a sanity check that the listing shows endpoints).
          assertThat(incremental).contains(address(s, e.getKey()));
        }
      }
    }
    cluster.backend().cleanup();
    cluster.restartBackend();
    String fresh = cluster.normalizedListing();
    assertThat(incremental).as("kernel after 10,000 partial changes vs a fresh full sync")
        .isEqualTo(fresh);
  }

  /**
   * {@link #CHANGES_PER_BURST} changes to random services' endpoints (add as ready, mark
   * terminating, remove), then one partial sync of the slices touched.
   */
  private void burst(Random random) throws SyncException {
    Set<Integer> touched = new TreeSet<>();
    for (int c = 0; c < CHANGES_PER_BURST; c++) {
      int s = random.nextInt(SERVICES);
      int j = random.nextInt(POOL);
      Map<Integer, Boolean> eps = endpoints.get(s);
      Boolean state = eps.get(j);
      if (state == null) {
        eps.put(j, true);
      } else if (state && random.nextBoolean()) {
        eps.put(j, false);
      } else {
        eps.remove(j);
      }
      touched.add(s);
    }
    for (int s : touched) {
      cluster.upsert(slice(s));
    }
    cluster.sync();
  }

  private EndpointSlice slice(int s) {
    EndpointSlice.Builder b = LabCluster.sliceBuilder("burst-" + s, IpFamily.V4);
    endpoints.get(s).forEach((j, ready) -> b.endpoint(address(s, j), ready, true, !ready,
        j % 3 == 0 ? LabCluster.NODE : LabCluster.REMOTE_NODE, null, null, null));
    return b.build();
  }

  private static String address(int s, int j) {
    return "10.250." + s + "." + (j + 1);
  }

  /** The heap in use after full collections (the least of three, as one GC may leave garbage). */
  private static long usedHeapAfterGc() throws InterruptedException {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
      least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return least;
  }
}
