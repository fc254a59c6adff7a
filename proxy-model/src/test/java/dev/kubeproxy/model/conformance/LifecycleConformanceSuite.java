package dev.kubeproxy.model.conformance;

import static dev.kubeproxy.model.conformance.LabCluster.PORT;
import static dev.kubeproxy.model.conformance.LabCluster.names;
import static dev.kubeproxy.model.conformance.LabCluster.servers;
import static dev.kubeproxy.model.conformance.LabCluster.service;
import static dev.kubeproxy.model.conformance.LabCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.testing.lab.LabEvidence;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.PodChurn;
import dev.kubeproxy.api.testing.lab.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Real packets through a backend while its state changes: endpoint removal by a partial sync,
 * stale UDP conntrack cleanup, a backend restart under traffic, and cleanup. A backend runs it as
 * {@code <Mode>LifecycleKernelTest}.
 */
public abstract class LifecycleConformanceSuite extends LabSuite {
  private static final IpAddress VIP = IpAddress.parse("10.96.2.10");

  /** The running steady-traffic test's failure evidence (issue 14); stopped after each test. */
  private LabEvidence evidence;

  /** Starts logging the node's conntrack events, files named after the backend and the test. */
  private LabEvidence startEvidence(String test) {
    evidence = LabEvidence.start(lab, getClass().getSimpleName() + "-" + test);
    return evidence;
  }

  @AfterEach
  void stopEvidence() {
    if (evidence != null) {
      evidence.close();
      evidence = null;
    }
  }

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
    LabEvidence evidence = startEvidence("restartUnderTraffic");
    CompletableFuture<List<Reply>> probe =
        CompletableFuture.supplyAsync(
            () -> {
              List<Reply> replies = new ArrayList<>();
              while (!stop.get() && batches.get() < MAX_PROBE_BATCHES) {
                List<Reply> batch = lab.tcpRequests(client.netns(), null, VIP, PORT, 10, ANSWER);
                replies.addAll(batch);
                evidence.snapshotAtFirstFailure(batch);
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
    assertThat(replies.stream().filter(r -> !r.answered()).toList())
        .as("failed probes during the restarts; %s", evidence.report(replies))
        .isEmpty();
    assertThat(servers(replies)).isEqualTo(names(epA, epB, epR));

    cluster.apply(slice("web", IpFamily.V4, epA));
    assertThat(servers(lab.tcpRequests(client.netns(), null, VIP, PORT, 20, ANSWER)))
        .isEqualTo(names(epA));
  }

  /** How long pods churn: upstream's minute, or {@link #CI_CHURN} when {@code CI=true}. */
  static final Duration CHURN = Duration.ofSeconds(60);
  /** The churn in CI, where five modes run it one after another on a shared machine. */
  static final Duration CI_CHURN = Duration.ofSeconds(30);
  /** One endpoint change every this long, as upstream's pace in its churn tests. */
  static final Duration CHURN_STEP = Duration.ofMillis(100);
  /** The probe sends at most this many connections a second (batches of 5, then a pause). */
  private static final int CHURN_PROBE_BATCH = 5;
  private static final long CHURN_PROBE_PAUSE_MS = 20;

  /**
   * Pods come and go at upstream's pace while a client connects steadily: every {@link
   * #CHURN_STEP} one endpoint of the Service is added (ready), marked terminating (serving, not
   * ready) or removed, never leaving it without a ready endpoint, and each change is a partial
   * sync of the backend (a change due while a slow sync runs follows it at once; {@link
   * #syncsKeepChurnPace} checks the pace). Every endpoint's server keeps running, so any failed
   * connection is the rules' fault: a moment with no rules, a half-applied change, or a DNAT to
   * nothing. Ends with exactly the ready endpoints answering.
   */
  @Test
  @DisplayName("pods churn every 100 ms under steady traffic (60 s, 30 s in CI): zero failed connections")
  @Requires(Capability.HITLESS_CHURN)
  void podsChurnUnderTraffic() throws Exception {
    Duration length = "true".equals(System.getenv("CI")) ? CI_CHURN : CHURN;
    Random random = new Random(14);
    List<Pod> pods = List.of(epA, epB, epR);
    // Pod -> ready (true) or serving-and-terminating (false); absent pods are not endpoints.
    Map<Pod, Boolean> endpoints = new TreeMap<>((a, b) -> a.name().compareTo(b.name()));
    endpoints.put(epA, true);
    cluster.apply(service("churn", VIP.toString()).build(), churnSlice("churn", endpoints));
    assertThat(servers(lab.tcpRequests(client.netns(), null, VIP, PORT, 5, ANSWER)))
        .isEqualTo(names(epA));

    List<Reply> replies = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    long maxProbes = length.toMillis() / CHURN_PROBE_PAUSE_MS * CHURN_PROBE_BATCH * 2;
    LabEvidence evidence = startEvidence("podsChurnUnderTraffic");
    CompletableFuture<Void> probe = CompletableFuture.runAsync(() -> {
      while (!stop.get() && replies.size() < maxProbes) {
        List<Reply> batch =
            lab.tcpRequests(client.netns(), null, VIP, PORT, CHURN_PROBE_BATCH, ANSWER);
        replies.addAll(batch);
        evidence.snapshotAtFirstFailure(batch);
        try {
          Thread.sleep(CHURN_PROBE_PAUSE_MS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    });
    long start = System.nanoTime();
    long end = start + length.toNanos();
    int changes = 0;
    long slowestSyncNanos = 0;
    try {
      for (long next = start; next < end; next += CHURN_STEP.toNanos()) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        PodChurn.step(random, pods, endpoints);
        long before = System.nanoTime();
        cluster.apply(churnSlice("churn", endpoints));
        slowestSyncNanos = Math.max(slowestSyncNanos, System.nanoTime() - before);
        changes++;
      }
    } finally {
      stop.set(true);
      probe.get(60, TimeUnit.SECONDS);
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("churn %s: %d changes in %d ms (slowest sync %d ms), %d probe connections%n",
        mode(), changes, elapsedMs, TimeUnit.NANOSECONDS.toMillis(slowestSyncNanos), replies.size());

    List<Reply> failed = replies.stream().filter(r -> !r.answered()).toList();
    assertThat(failed).as("failed connections of %s during churn; %srules now:%n%s",
        replies.size(), evidence.report(replies), cluster.programmed()).isEmpty();
    assertThat(replies.size()).as("probe connections").isGreaterThan((int) (length.toSeconds() * 20));
    Pod[] ready = endpoints.entrySet().stream().filter(Map.Entry::getValue)
        .map(Map.Entry::getKey).toArray(Pod[]::new);
    assertThat(servers(lab.tcpRequests(client.netns(), null, VIP, PORT, 20, ANSWER)))
        .isEqualTo(names(ready));
  }

  /**
   * The pace the churn asks for: 100 endpoint changes, each its own partial sync, done back to
   * back in under 100 ms each on average. Where a mode cannot keep it, the churn test still runs
   * every change (late ones follow at once) and must still lose no connection.
   */
  @Test
  @DisplayName("100 one-endpoint partial syncs take under 100 ms each on average (churn pace)")
  @Requires(Capability.CHURN_PACE)
  void syncsKeepChurnPace() throws Exception {
    Random random = new Random(100);
    List<Pod> pods = List.of(epA, epB, epR);
    Map<Pod, Boolean> endpoints = new TreeMap<>((a, b) -> a.name().compareTo(b.name()));
    endpoints.put(epA, true);
    cluster.apply(service("pace", VIP.toString()).build(), churnSlice("pace", endpoints));
    int changes = 100;
    long start = System.nanoTime();
    for (int i = 0; i < changes; i++) {
      PodChurn.step(random, pods, endpoints);
      cluster.apply(churnSlice("pace", endpoints));
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("pace %s: %d partial syncs in %d ms%n", mode(), changes, elapsedMs);
    assertThat(elapsedMs).as("time for %s one-endpoint partial syncs", changes)
        .isLessThan(changes * CHURN_STEP.toMillis());
  }

  /** The slice of service {@code service}: each pod ready, or serving and terminating. */
  private static EndpointSlice churnSlice(String service, Map<Pod, Boolean> endpoints) {
    EndpointSlice.Builder b = LabCluster.sliceBuilder(service, IpFamily.V4);
    endpoints.forEach((pod, ready) -> b.endpoint(
        pod.ipv4().toString(), ready, true, !ready, LabCluster.nodeOf(pod), null, null, null));
    return b.build();
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
