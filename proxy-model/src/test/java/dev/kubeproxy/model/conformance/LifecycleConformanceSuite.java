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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
   * reaches ep-a (which still runs, so the stale entry is visible) until the conntrack reconcile
   * after the sync deletes its entry, and reaches ep-b after.
   */
  @Test
  @DisplayName("stale UDP conntrack: a flow stuck on a removed endpoint moves after the reconcile")
  @Requires(Capability.UDP_CONNTRACK_CLEANUP)
  void staleUdpFlowMovesAfterConntrackCleanup() throws Exception {
    int sourcePort = 40053;
    cluster.apply(service("dns", VIP.toString()).build(), slice("dns", IpFamily.V4, epA));
    List<Reply> pinned = lab.udpRequests(client.netns(), null, sourcePort, VIP, PORT, 3, ANSWER);
    assertThat(servers(pinned)).isEqualTo(names(epA));

    cluster.apply(slice("dns", IpFamily.V4, epB));

    Reply withoutCleanup = lab.udpRequest(client.netns(), null, sourcePort, VIP, PORT, ANSWER);
    assertThat(withoutCleanup.answered()).as("%s", withoutCleanup).isTrue();
    assertThat(withoutCleanup.serverName()).as("the flow is stuck on the old endpoint")
        .isEqualTo("ep-a");
    // A new flow already follows the new rules.
    assertThat(servers(lab.udpRequests(client.netns(), null, 0, VIP, PORT, 5, ANSWER)))
        .isEqualTo(names(epB));

    assertThat(cluster.reconcileConntrack()).as("entries deleted").isEqualTo(1);

    Reply afterCleanup = lab.udpRequest(client.netns(), null, sourcePort, VIP, PORT, ANSWER);
    assertThat(afterCleanup.answered()).as("%s", afterCleanup).isTrue();
    assertThat(afterCleanup.serverName()).isEqualTo("ep-b");
  }

  /**
   * The full reconcile catches what no change implies: ep-a went away while no proxy ran (or
   * its deletion failed), so a fresh proxy sees only the current endpoints. Its first (full)
   * sync and reconcile delete the flow pinned to ep-a and leave the flow pinned to ep-b alone:
   * the same conntrack entry (same id) keeps answering from ep-b.
   */
  @Test
  @DisplayName("stale UDP conntrack left by an earlier run goes at a fresh proxy's first sync; live flows stay")
  @Requires(Capability.UDP_CONNTRACK_CLEANUP)
  void staleUdpFlowFromEarlierRunGoesAtFirstSync() throws Exception {
    int toA = 40061;
    cluster.apply(service("dns", VIP.toString()).build(), slice("dns", IpFamily.V4, epA));
    assertThat(servers(lab.udpRequests(client.netns(), null, toA, VIP, PORT, 2, ANSWER)))
        .isEqualTo(names(epA));
    cluster.apply(slice("dns", IpFamily.V4, epB));
    int toB = 40062;
    assertThat(servers(lab.udpRequests(client.netns(), null, toB, VIP, PORT, 2, ANSWER)))
        .isEqualTo(names(epB));
    String idOfB = conntrackId(toB);

    // A new proxy: a fresh backend whose first sync is full; nothing tells it ep-a existed.
    cluster.restartFresh();
    cluster.sync();
    Reply stuck = lab.udpRequest(client.netns(), null, toA, VIP, PORT, ANSWER);
    assertThat(stuck.serverName()).as("before the reconcile: %s", stuck).isEqualTo("ep-a");
    assertThat(cluster.reconcileConntrack()).as("entries deleted").isEqualTo(1);

    assertThat(conntrackId(toB)).as("the live flow's entry is untouched").isEqualTo(idOfB);
    assertThat(lab.udpRequest(client.netns(), null, toB, VIP, PORT, ANSWER).serverName())
        .isEqualTo("ep-b");
    Reply moved = lab.udpRequest(client.netns(), null, toA, VIP, PORT, ANSWER);
    assertThat(moved.serverName()).as("%s", moved).isEqualTo("ep-b");
    assertThat(cluster.reconcileConntrack()).as("nothing stale is left").isZero();
  }

  /** The conntrack id of the UDP entry from {@code sourcePort} to the VIP (new entry, new id). */
  private String conntrackId(int sourcePort) throws Exception {
    String out = lab.exec(lab.nodeNs(), "conntrack", "-L", "-p", "udp", "--orig-dst",
        VIP.toString(), "--orig-port-src", Integer.toString(sourcePort), "-o", "id").stdout();
    Matcher id = Pattern.compile("\\bid=(\\d+)").matcher(out);
    assertThat(id.find()).as("an entry from port %s in %s", sourcePort, out).isTrue();
    String found = id.group(1);
    assertThat(id.find()).as("one entry from port %s in %s", sourcePort, out).isFalse();
    return found;
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
