package dev.kubeproxy.model;

import static dev.kubeproxy.model.Fixtures.CONFIG;
import static dev.kubeproxy.model.Fixtures.NODE;
import static dev.kubeproxy.model.Fixtures.id;
import static dev.kubeproxy.model.Fixtures.key;
import static dev.kubeproxy.model.Fixtures.node;
import static dev.kubeproxy.model.Fixtures.service;
import static dev.kubeproxy.model.Fixtures.slice;
import static dev.kubeproxy.model.Fixtures.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.model.conntrack.ConntrackEntry;
import dev.kubeproxy.model.conntrack.ConntrackReconciler;
import dev.kubeproxy.model.sync.ManualScheduler;
import dev.kubeproxy.model.sync.ServiceProxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sync engine over the real {@link ChangeTracker} and {@link TableBuilder}: what a backend
 * is asked to program, step by step, compared with fresh builds of the same inputs.
 */
class ServiceProxyIntegrationTest {
  private static final Duration MIN_SYNC = Duration.ofSeconds(1);
  private static final Duration SYNC_PERIOD = Duration.ofSeconds(30);

  private final ManualScheduler scheduler = new ManualScheduler();
  private final ChangeTracker tracker = new ChangeTracker(new SchedulerClock(scheduler));
  private final Recorder backend = new Recorder();
  /** The tables the conntrack cleaner was asked to reconcile. */
  private final List<ForwardingTable> cleaned = new ArrayList<>();

  private ServiceProxy proxy(ProxyConfig config) {
    return ServiceProxy.builder(config, tracker, backend, scheduler)
        .conntrackCleaner(table -> {
          cleaned.add(table);
          return 0;
        })
        .build();
  }

  /** Starts a single-stack proxy over {@code objects}, both listings done, and runs its first sync. */
  private ServiceProxy startedProxy(Consumer<ChangeTracker> objects) {
    ServiceProxy proxy = proxy(CONFIG);
    tracker.updateNode(node("z1", "192.168.0.10"));
    objects.accept(tracker);
    tracker.markServicesSynced();
    tracker.markEndpointSlicesSynced();
    proxy.start();
    scheduler.runDue();
    assertThat(backend.requests).as("first sync").hasSize(1);
    return proxy;
  }

  /** Feeds a change and lets the minimum sync interval pass so that the sync runs. */
  private void change(ServiceProxy proxy, Consumer<ChangeTracker> events) {
    events.accept(tracker);
    proxy.onChange();
    scheduler.advance(MIN_SYNC);
  }

  private static Service web() {
    return service("web", "10.0.0.1").port("metrics", "TCP", 9090).build();
  }

  private static EndpointSlice webSlice(String... ips) {
    EndpointSlice.Builder b = slice("web-1", "web").port("metrics", "TCP", 9091);
    for (String ip : ips) {
      b.endpoint(ip, "node-b");
    }
    return b.build();
  }

  private static Service db() {
    return service("db", "10.0.0.2").build();
  }

  private static EndpointSlice dbSlice() {
    return slice("db-1", "db").endpoint("10.1.1.1", "node-b").build();
  }

  private void webAndDb(ChangeTracker t) {
    t.upsertService(web());
    t.upsertEndpointSlice(webSlice("10.1.0.1", "10.1.0.2"));
    t.upsertService(db());
    t.upsertEndpointSlice(dbSlice());
  }

  /** The tracker's current snapshot; only for when nothing is pending (draining takes the changes). */
  private ClusterSnapshot settledSnapshot() {
    PendingChanges pending = tracker.drain();
    assertThat(pending.isEmpty()).as("changes left unsynced: %s", pending.changedServices()).isTrue();
    return pending.snapshot();
  }

  private static void assertSameTable(ForwardingTable actual, ForwardingTable expected, String what) {
    assertThat(actual.entries()).as("%s: entries", what).isEqualTo(expected.entries());
    assertThat(actual.sameFacts(expected)).as("%s: table facts", what).isTrue();
  }

  @Test
  @DisplayName("Nothing is programmed until both the Service and the EndpointSlice listings are done")
  void nothingBeforeInitialListing() {
    ServiceProxy proxy = proxy(CONFIG);
    proxy.start();
    webAndDb(tracker);
    proxy.onChange();
    scheduler.advance(Duration.ofMinutes(5));
    tracker.markServicesSynced();
    proxy.onChange();
    scheduler.advance(Duration.ofMinutes(5));
    assertThat(backend.requests).as("requests before the slice listing is done").isEmpty();

    tracker.markEndpointSlicesSynced();
    proxy.onChange();
    scheduler.advance(MIN_SYNC);
    assertThat(backend.requests).hasSize(1);
    assertThat(backend.requests.get(0).full()).isTrue();
    assertThat(backend.requests.get(0).changes().get(0).next().size()).isEqualTo(3);
  }

  @Test
  @DisplayName("The first sync is full and carries every service port with its endpoints in ip:port order")
  void firstSyncIsFull() {
    startedProxy(this::webAndDb);
    SyncRequest first = backend.requests.get(0);
    assertThat(first.full()).isTrue();
    assertThat(first.changes()).hasSize(1);
    TableChange change = first.changes().get(0);
    assertThat(change.previous().size()).isZero();
    assertThat(change.changedKeys())
        .containsExactlyInAnyOrder(key("web", "http"), key("web", "metrics"), key("db", "http"));

    ServiceEntry http = change.next().entry(key("web", "http"));
    assertThat(http.frontends())
        .containsExactly(new Frontend(FrontendKind.CLUSTER_IP, IpAddress.parse("10.0.0.1"), 80, Protocol.TCP));
    assertThat(strings(http.internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
    ServiceEntry metrics = change.next().entry(key("web", "metrics"));
    assertThat(metrics.frontends())
        .containsExactly(new Frontend(FrontendKind.CLUSTER_IP, IpAddress.parse("10.0.0.1"), 9090, Protocol.TCP));
    assertThat(strings(metrics.internal().endpoints())).containsExactly("10.1.0.1:9091", "10.1.0.2:9091");
    assertThat(strings(change.next().entry(key("db", "http")).internal().endpoints()))
        .containsExactly("10.1.1.1:8080");
    assertThat(change.next().nodeAddresses()).containsExactly(IpAddress.parse("192.168.0.10"));
  }

  @Test
  @DisplayName("An endpoint change syncs partially: exactly the service's keys change, and next equals a fresh build")
  void endpointChangeIsPartial() {
    ServiceProxy proxy = startedProxy(this::webAndDb);
    ForwardingTable before = proxy.committedTables().get(IpFamily.V4);

    change(proxy, t -> t.upsertEndpointSlice(webSlice("10.1.0.1", "10.1.0.3")));

    assertThat(backend.requests).hasSize(2);
    SyncRequest request = backend.last();
    assertThat(request.full()).isFalse();
    TableChange change = request.changes().get(0);
    assertThat(change.previous()).isSameAs(before);
    assertThat(change.changedKeys()).containsExactlyInAnyOrder(key("web", "http"), key("web", "metrics"));
    assertThat(strings(change.next().entry(key("web", "http")).internal().endpoints()))
        .containsExactly("10.1.0.1:8080", "10.1.0.3:8080");
    assertThat(change.next().entry(key("db", "http"))).isSameAs(before.entry(key("db", "http")));
    assertSameTable(change.next(), TableBuilder.build(IpFamily.V4, settledSnapshot(), CONFIG), "next");
    assertThat(proxy.committedTables().get(IpFamily.V4)).isSameAs(change.next());
  }

  @Test
  @DisplayName("A deleted service's keys are reported changed and are gone from the next table")
  void deletedService() {
    ServiceProxy proxy = startedProxy(this::webAndDb);

    change(proxy, t -> t.deleteService(id("web")));

    TableChange change = backend.last().changes().get(0);
    assertThat(backend.last().full()).isFalse();
    assertThat(change.changedKeys()).containsExactlyInAnyOrder(key("web", "http"), key("web", "metrics"));
    assertThat(change.previous().entry(key("web", "http"))).isNotNull();
    assertThat(change.next().entry(key("web", "http"))).isNull();
    assertThat(change.next().entry(key("web", "metrics"))).isNull();
    assertThat(change.next().entries().keySet()).containsExactly(key("db", "http"));
  }

  @Test
  @DisplayName("A change of the Node's zone label forces a full sync, and topology follows the new zone")
  void nodeZoneChangeIsFull() {
    ServiceProxy proxy = startedProxy(t -> {
      t.upsertService(service("web", "10.0.0.1").build());
      t.upsertEndpointSlice(slice("web-1", "web")
          .endpoint("10.1.0.1", true, true, false, "node-b", "z1", Set.of("z1"), null)
          .endpoint("10.1.0.2", true, true, false, "node-c", "z2", Set.of("z2"), null)
          .build());
    });
    assertThat(strings(proxy.committedTables().get(IpFamily.V4).entry(key("web", "http")).internal().endpoints()))
        .containsExactly("10.1.0.1:8080");

    change(proxy, t -> t.updateNode(node("z2", "192.168.0.10")));

    assertThat(backend.requests).hasSize(2);
    assertThat(backend.last().full()).isTrue();
    TableChange change = backend.last().changes().get(0);
    assertThat(strings(change.next().entry(key("web", "http")).internal().endpoints()))
        .containsExactly("10.1.0.2:8080");
    assertSameTable(change.next(), TableBuilder.build(IpFamily.V4, settledSnapshot(), CONFIG), "next");
  }

  @Test
  @DisplayName("After a backend failure the retry is full, includes the failed change and later ones, and loses nothing")
  void failureThenFullRetry() {
    ServiceProxy proxy = startedProxy(this::webAndDb);
    ForwardingTable committed = proxy.committedTables().get(IpFamily.V4);

    backend.failures = 1;
    change(proxy, t -> t.upsertEndpointSlice(webSlice("10.1.0.9")));
    assertThat(backend.requests).hasSize(2);
    assertThat(proxy.committedTables().get(IpFamily.V4)).as("committed after failure").isSameAs(committed);

    // Another change while waiting for the retry.
    tracker.deleteService(id("db"));
    proxy.onChange();
    scheduler.advance(SYNC_PERIOD);

    assertThat(backend.requests).hasSize(3);
    SyncRequest retry = backend.last();
    assertThat(retry.full()).isTrue();
    TableChange change = retry.changes().get(0);
    assertThat(change.previous()).as("previous is the last committed table").isSameAs(committed);
    assertThat(strings(change.next().entry(key("web", "http")).internal().endpoints()))
        .containsExactly("10.1.0.9:8080");
    assertThat(change.next().entry(key("db", "http"))).isNull();
    assertThat(change.changedKeys()).contains(key("web", "http"), key("web", "metrics"), key("db", "http"));
    assertSameTable(change.next(), TableBuilder.build(IpFamily.V4, settledSnapshot(), CONFIG), "retry");

    change(proxy, t -> t.upsertEndpointSlice(webSlice("10.1.0.9", "10.1.0.10")));
    assertThat(backend.last().full()).as("the sync after a successful retry").isFalse();
    assertThat(backend.last().changes().get(0).changedKeys())
        .containsExactlyInAnyOrder(key("web", "http"), key("web", "metrics"));
  }

  @Test
  @DisplayName("Conntrack is reconciled against the builder's table: a gone endpoint's UDP flows are stale,"
      + " a terminating one that still serves keeps them")
  void conntrackReconciledAgainstBuiltTable() {
    Service dns = Service.builder("ns", "dns").type("NodePort").clusterIp("10.0.0.53")
        .port("dns", "UDP", 53, 30053).build();
    ServiceProxy proxy = startedProxy(t -> {
      t.upsertService(dns);
      t.upsertEndpointSlice(EndpointSlice.builder("ns", "dns-1").serviceName("dns").port("dns", "UDP", 5353)
          .endpoint("10.1.0.1", "node-b").endpoint("10.1.0.2", NODE).endpoint("10.1.0.3", NODE).build());
    });
    assertThat(cleaned).as("the first sync is full").hasSize(1);

    // 10.1.0.1 goes; 10.1.0.2 terminates but serves; 10.1.0.3 stays ready.
    change(proxy, t -> t.upsertEndpointSlice(
        EndpointSlice.builder("ns", "dns-1").serviceName("dns").port("dns", "UDP", 5353)
            .endpoint("10.1.0.2", false, true, true, NODE, null, null, null)
            .endpoint("10.1.0.3", NODE).build()));

    assertThat(cleaned).hasSize(2);
    ForwardingTable table = cleaned.get(1);
    assertThat(table).isSameAs(proxy.committedTables().get(IpFamily.V4));
    ConntrackEntry gone = ConntrackEntry.udp("10.9.0.1", 4000, "10.0.0.53", 53, "10.1.0.1", 5353);
    ConntrackEntry goneViaNodePort =
        ConntrackEntry.udp("10.9.0.1", 4001, "192.168.0.10", 30053, "10.1.0.1", 5353);
    ConntrackEntry terminating = ConntrackEntry.udp("10.9.0.1", 4002, "10.0.0.53", 53, "10.1.0.2", 5353);
    ConntrackEntry ready = ConntrackEntry.udp("10.9.0.1", 4003, "10.0.0.53", 53, "10.1.0.3", 5353);
    assertThat(ConntrackReconciler.reconcile(table, List.of(gone, goneViaNodePort, terminating, ready))
        .stale()).containsExactly(gone, goneViaNodePort);
  }

  /**
   * Random Service/EndpointSlice/Node events (some arriving while the backend is syncing),
   * occasional backend failures and clock moves on a dual-stack proxy: every request's next
   * tables equal fresh builds of the inputs drained for it, a partial request names every key
   * that differs, and in the end the committed tables equal a fresh build of the tracker's
   * final snapshot.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 42, 1234})
  void randomEventsConverge(long seed) {
    Random random = new Random(seed);
    RandomCluster cluster = new RandomCluster(random);
    ProxyConfig config = cluster.config();
    ServiceProxy proxy = proxy(config);
    Mirror mirror = new Mirror(cluster, random);
    mirror.updateNode();
    tracker.markServicesSynced();
    tracker.markEndpointSlicesSynced();

    // Checked inside each backend call, before any mid-sync event: the drain saw the mirror's objects.
    backend.onSync = request -> {
      ClusterSnapshot expected = mirror.snapshot();
      assertThat(request.changes()).as("seed %d: one change per family", seed).hasSize(2);
      for (TableChange change : request.changes()) {
        IpFamily family = change.family();
        ForwardingTable fresh = TableBuilder.build(family, expected, config);
        assertSameTable(change.next(), fresh,
            String.format("seed %d request %d %s", seed, backend.requests.size(), family));
        assertThat(change.previous()).as("seed %d: previous is the committed table", seed)
            .isSameAs(proxy.committedTables().get(family));
        Set<ServicePortKey> differing = new HashSet<>(change.previous().entries().keySet());
        differing.addAll(fresh.entries().keySet());
        differing.removeIf(k -> fresh.entry(k) != null && fresh.entry(k).equals(change.previous().entry(k)));
        assertThat(change.changedKeys()).as("seed %d %s: changed keys cover every difference", seed, family)
            .containsAll(differing);
      }
      if (random.nextInt(4) == 0) {
        mirror.randomEvent();
        proxy.onChange();
      }
    };

    proxy.start();
    Duration[] waits = {Duration.ZERO, Duration.ofMillis(500), MIN_SYNC, Duration.ofSeconds(5), SYNC_PERIOD};
    for (int step = 0; step < 30; step++) {
      int events = 1 + random.nextInt(3);
      for (int e = 0; e < events; e++) {
        mirror.randomEvent();
      }
      backend.failures = random.nextInt(8) == 0 ? 1 : 0;
      proxy.onChange();
      scheduler.advance(waits[random.nextInt(waits.length)]);
    }
    backend.failures = 0;
    backend.onSync = r -> {};
    proxy.onChange();
    scheduler.advance(SYNC_PERIOD.plus(MIN_SYNC));

    ClusterSnapshot last = settledSnapshot();
    assertThat(backend.requests).as("seed %d: some sync ran", seed).isNotEmpty();
    for (IpFamily family : List.of(IpFamily.V4, IpFamily.V6)) {
      assertSameTable(proxy.committedTables().get(family), TableBuilder.build(family, last, config),
          String.format("seed %d final %s", seed, family));
    }
  }

  /** The objects the random test fed the tracker, kept alongside it to build expected tables. */
  private final class Mirror {
    private final RandomCluster cluster;
    private final Random random;
    private final Map<NamespacedName, Service> services = new HashMap<>();
    private final Map<NamespacedName, EndpointSlice> slices = new HashMap<>();
    private Node node;

    Mirror(RandomCluster cluster, Random random) {
      this.cluster = cluster;
      this.random = random;
    }

    ClusterSnapshot snapshot() {
      return Fixtures.snapshot(node, List.copyOf(services.values()), List.copyOf(slices.values()));
    }

    void updateNode() {
      node = cluster.node();
      tracker.updateNode(node);
    }

    /** One random event, applied to both this mirror and the tracker. */
    void randomEvent() {
      int r = random.nextInt(20);
      int s = random.nextInt(RandomCluster.SERVICES);
      NamespacedName serviceId = id(RandomCluster.serviceName(s));
      if (r < 6) {
        Service service = cluster.service(s);
        services.put(service.id(), service);
        tracker.upsertService(service);
      } else if (r < 8) {
        services.remove(serviceId);
        tracker.deleteService(serviceId);
      } else if (r < 16) {
        EndpointSlice slice = cluster.slice(s, random.nextInt(3));
        slices.put(slice.id(), slice);
        tracker.upsertEndpointSlice(slice);
      } else if (r < 19) {
        NamespacedName sliceId = id(RandomCluster.serviceName(s) + "-" + random.nextInt(3));
        slices.remove(sliceId);
        tracker.deleteEndpointSlice(sliceId);
      } else {
        updateNode();
      }
    }
  }

  /** A backend that records every request, runs a check inside each, and fails the next {@code failures}. */
  private static final class Recorder implements Backend {
    final List<SyncRequest> requests = new ArrayList<>();
    int failures;
    Consumer<SyncRequest> onSync = r -> {};

    @Override
    public String mode() {
      return "recording";
    }

    @Override
    public SyncResult sync(SyncRequest request) throws SyncException {
      requests.add(request);
      onSync.accept(request);
      if (failures > 0) {
        failures--;
        throw new SyncException("scripted failure");
      }
      return SyncResult.NOTHING;
    }

    @Override
    public String render(SyncRequest request) {
      return request.changes().size() + " families";
    }

    @Override
    public void cleanup() {}

    SyncRequest last() {
      return requests.get(requests.size() - 1);
    }
  }

  /** The tracker's clock reads the manual scheduler's time. */
  private static final class SchedulerClock extends Clock {
    private final ManualScheduler scheduler;

    SchedulerClock(ManualScheduler scheduler) {
      this.scheduler = scheduler;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return scheduler.now();
    }
  }
}
