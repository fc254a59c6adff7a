package dev.kubeproxy.model.conformance;

import static dev.kubeproxy.model.conformance.LabCluster.PORT;
import static dev.kubeproxy.model.conformance.LabCluster.names;
import static dev.kubeproxy.model.conformance.LabCluster.servers;
import static dev.kubeproxy.model.conformance.LabCluster.service;
import static dev.kubeproxy.model.conformance.LabCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.model.conntrack.StaleFlow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Real packets through a backend while its state changes: endpoint removal by a partial sync,
 * stale UDP conntrack cleanup, a backend restart under traffic, and cleanup. A backend runs it as
 * {@code <Mode>LifecycleKernelTest}.
 */
public abstract class LifecycleConformanceSuite extends LabSuite {
  private static final IpAddress VIP = IpAddress.parse("10.96.2.10");

  @Test
  @DisplayName("an endpoint removed by a partial sync gets no new TCP or UDP connections")
  void removedEndpointIsAvoided() throws Exception {
    cluster.apply(service("web", VIP.toString()).build(), slice("web", IpFamily.V4, epA, epB));
    assertThat(servers(lab.tcpRequests(client.netns(), null, VIP, PORT, 30, ANSWER)))
        .isEqualTo(names(epA, epB));

    cluster.apply(slice("web", IpFamily.V4, epA));

    assertThat(servers(lab.tcpRequests(client.netns(), null, VIP, PORT, 30, ANSWER)))
        .isEqualTo(names(epA));
    assertThat(servers(lab.udpRequests(client.netns(), null, 0, VIP, PORT, 30, ANSWER)))
        .isEqualTo(names(epA));
  }

  /**
   * Upstream deletes the conntrack entries of UDP flows whose endpoint went away, because the
   * kernel keeps sending an established flow to its old endpoint whatever the rules now say.
   * One flow (fixed source port) is pinned to ep-a; ep-a is replaced by ep-b. The flow still
   * reaches ep-a (which still runs, so the stale entry is visible) until the sync's stale flows
   * are deleted, and reaches ep-b after.
   */
  @Test
  @DisplayName("stale UDP conntrack: a flow stuck on a removed endpoint moves after the cleanup")
  @Requires(Capability.UDP_CONNTRACK_CLEANUP)
  void staleUdpFlowMovesAfterConntrackCleanup() throws Exception {
    int sourcePort = 40053;
    cluster.apply(service("dns", VIP.toString()).build(), slice("dns", IpFamily.V4, epA));
    List<Reply> pinned = lab.udpRequests(client.netns(), null, sourcePort, VIP, PORT, 3, ANSWER);
    assertThat(servers(pinned)).isEqualTo(names(epA));

    List<StaleFlow> stale = cluster.apply(slice("dns", IpFamily.V4, epB));
    assertThat(stale).contains(StaleFlow.toServiceIp(VIP, PORT, epA.ipv4()));

    Reply withoutCleanup = lab.udpRequest(client.netns(), null, sourcePort, VIP, PORT, ANSWER);
    assertThat(withoutCleanup.answered()).as("%s", withoutCleanup).isTrue();
    assertThat(withoutCleanup.serverName()).as("the flow is stuck on the old endpoint")
        .isEqualTo("ep-a");
    // A new flow already follows the new rules.
    assertThat(servers(lab.udpRequests(client.netns(), null, 0, VIP, PORT, 5, ANSWER)))
        .isEqualTo(names(epB));

    assertThat(cluster.deleteStaleFlows(stale)).as("flows that matched an entry").isPositive();

    Reply afterCleanup = lab.udpRequest(client.netns(), null, sourcePort, VIP, PORT, ANSWER);
    assertThat(afterCleanup.answered()).as("%s", afterCleanup).isTrue();
    assertThat(afterCleanup.serverName()).isEqualTo("ep-b");
  }

  /**
   * A restarted proxy starts with a fresh backend whose first sync is full; its single atomic
   * transaction replaces the live table, so traffic never meets a moment without rules. The
   * probe runs batches of connections until the restarts are done (bounded), and every one must
   * be answered. The new backend then carries on with partial syncs.
   */
  @Test
  @DisplayName("restart: a fresh backend's full sync adopts the live table with no failed probe")
  @Requires(Capability.HITLESS_RESTART)
  void restartUnderTraffic() throws Exception {
    cluster.apply(
        service("web", VIP.toString()).build(), slice("web", IpFamily.V4, epA, epB, epR));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger batches = new AtomicInteger();
    CompletableFuture<List<Reply>> probe =
        CompletableFuture.supplyAsync(
            () -> {
              List<Reply> replies = new ArrayList<>();
              while (!stop.get() && batches.get() < MAX_PROBE_BATCHES) {
                replies.addAll(lab.tcpRequests(client.netns(), null, VIP, PORT, 10, ANSWER));
                batches.incrementAndGet();
              }
              return replies;
            });
    awaitBatches(batches, 2);
    int before = batches.get();
    for (int i = 0; i < 3; i++) {
      cluster.restartBackend();
    }
    // Slow restarts (a loaded machine) may let the probe reach its cap: then it proved enough.
    awaitBatches(batches, Math.min(batches.get() + 2, MAX_PROBE_BATCHES));
    stop.set(true);
    List<Reply> replies = probe.get(60, TimeUnit.SECONDS);

    assertThat(batches.get()).as("probe batches after the restarts").isGreaterThan(before);
    assertThat(servers(replies)).isEqualTo(names(epA, epB, epR));

    cluster.apply(slice("web", IpFamily.V4, epA));
    assertThat(servers(lab.tcpRequests(client.netns(), null, VIP, PORT, 20, ANSWER)))
        .isEqualTo(names(epA));
  }

  /** The probe stops by itself after this many batches of 10 connections. */
  private static final int MAX_PROBE_BATCHES = 200;

  private static void awaitBatches(AtomicInteger batches, int atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (batches.get() < atLeast && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(batches.get()).as("probe batches").isGreaterThanOrEqualTo(atLeast);
  }

  @Test
  @DisplayName("cleanup removes what the backend programmed: neither family's service answers")
  void cleanupRemovesBothFamilies() throws Exception {
    IpAddress vip6 = IpAddress.parse("fd00:96::2:10");
    cluster.apply(
        service("web", VIP.toString()).clusterIp(vip6.toString()).build(),
        slice("web", IpFamily.V4, epA),
        slice("web", IpFamily.V6, epA));
    for (IpAddress vip : List.of(VIP, vip6)) {
      Reply reply = lab.tcpRequest(client.netns(), vip, PORT, ANSWER);
      assertThat(reply.answered()).as("before cleanup: %s", reply).isTrue();
    }

    cluster.backend().cleanup();

    for (IpAddress vip : List.of(VIP, vip6)) {
      Reply reply = lab.tcpRequest(client.netns(), vip, PORT, Duration.ofMillis(500));
      assertThat(reply.answered()).as("after cleanup: %s", reply).isFalse();
    }
  }
}
