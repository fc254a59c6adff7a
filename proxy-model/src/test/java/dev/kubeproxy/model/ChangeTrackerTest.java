package dev.kubeproxy.model;

import static dev.kubeproxy.model.Fixtures.id;
import static dev.kubeproxy.model.Fixtures.node;
import static dev.kubeproxy.model.Fixtures.service;
import static dev.kubeproxy.model.Fixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Event intake, coalescing and draining. */
class ChangeTrackerTest {
  /** A clock tests move by hand. */
  private static final class ManualClock extends Clock {
    private Instant now = Instant.parse("2024-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private final ManualClock clock = new ManualClock();
  private final ChangeTracker tracker = new ChangeTracker(clock);

  @Test
  @DisplayName("several events for one service coalesce into one changed service; counts and the oldest time are kept")
  void coalesces() {
    Instant first = clock.instant();
    tracker.upsertService(service("a", "10.0.0.1").build());
    clock.advance(Duration.ofSeconds(5));
    tracker.upsertService(service("a", "10.0.0.2").build());
    tracker.upsertEndpointSlice(slice("a-1", "a").endpoint("10.1.0.1", "n").build());
    tracker.upsertEndpointSlice(slice("b-1", "b").endpoint("10.1.0.2", "n").build());
    PendingChanges p = tracker.drain();
    assertThat(p.changedServices()).containsExactlyInAnyOrder(id("a"), id("b"));
    assertThat(p.serviceEvents()).isEqualTo(2);
    assertThat(p.endpointEvents()).isEqualTo(2);
    assertThat(p.oldestChange()).isEqualTo(first);
    assertThat(p.snapshot().service(id("a")).clusterIps()).containsExactly(IpAddress.parse("10.0.0.2"));
    assertThat(p.snapshot().slices(id("b"))).hasSize(1);
    assertThat(p.nodeChanged()).isFalse();
  }

  @Test
  @DisplayName("drain resets the pending set but keeps the state; the next snapshot still has every object")
  void drainResets() {
    tracker.upsertService(service("a", "10.0.0.1").build());
    assertThat(tracker.hasPendingChanges()).isTrue();
    tracker.drain();
    assertThat(tracker.hasPendingChanges()).isFalse();
    PendingChanges p = tracker.drain();
    assertThat(p.isEmpty()).isTrue();
    assertThat(p.serviceEvents()).isZero();
    assertThat(p.oldestChange()).isNull();
    assertThat(p.snapshot().services()).containsKey(id("a"));
  }

  @Test
  @DisplayName("an upsert equal to the stored object is not a change")
  void equalUpsertIsNoChange() {
    Service s = service("a", "10.0.0.1").build();
    EndpointSlice sl = slice("a-1", "a").endpoint("10.1.0.1", "n").build();
    tracker.upsertService(s);
    tracker.upsertEndpointSlice(sl);
    tracker.drain();
    tracker.upsertService(service("a", "10.0.0.1").build());
    tracker.upsertEndpointSlice(slice("a-1", "a").endpoint("10.1.0.1", "n").build());
    assertThat(tracker.hasPendingChanges()).isFalse();
    PendingChanges p = tracker.drain();
    assertThat(p.changedServices()).isEmpty();
    assertThat(p.serviceEvents()).as("events are counted even when they change nothing").isEqualTo(1);
    assertThat(p.oldestChange()).isNull();
  }

  @Test
  @DisplayName("deletes mark the service changed and remove the object; deleting an unknown object changes nothing")
  void deletes() {
    tracker.upsertService(service("a", "10.0.0.1").build());
    tracker.upsertEndpointSlice(slice("a-1", "a").endpoint("10.1.0.1", "n").build());
    tracker.drain();
    tracker.deleteEndpointSlice(id("a-1"));
    PendingChanges p = tracker.drain();
    assertThat(p.changedServices()).containsExactly(id("a"));
    assertThat(p.snapshot().slices(id("a"))).isEmpty();
    tracker.deleteService(id("a"));
    assertThat(tracker.drain().snapshot().service(id("a"))).isNull();
    tracker.deleteService(id("zzz"));
    tracker.deleteEndpointSlice(id("zzz"));
    assertThat(tracker.hasPendingChanges()).isFalse();
  }

  @Test
  @DisplayName("batch upserts (a manifest feed) end as the same upserts one by one would: state, changed services in order, counts")
  void batchUpsertsEqualSingleUpserts() {
    ChangeTracker single = new ChangeTracker(clock);
    java.util.Random random = new java.util.Random(7);
    for (int round = 0; round < 20; round++) {
      List<Service> services = new ArrayList<>();
      List<EndpointSlice> slices = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        // Few names, so a batch repeats objects, relabels slices, and drops labels.
        services.add(service("svc-" + random.nextInt(8), "10.0.0." + random.nextInt(3)).build());
        String sliceName = "s-" + random.nextInt(10);
        String address = "10.1.0." + random.nextInt(4);
        slices.add(random.nextInt(6) == 0
            ? EndpointSlice.builder("ns", sliceName).port("http", "TCP", 80).endpoint(address, "n").build()
            : slice(sliceName, "svc-" + random.nextInt(8)).endpoint(address, "n").build());
      }
      services.forEach(single::upsertService);
      slices.forEach(single::upsertEndpointSlice);
      tracker.upsertServices(services);
      tracker.upsertEndpointSlices(slices);
      if (round % 3 == 0) {
        single.deleteEndpointSlice(id("s-1"));
        tracker.deleteEndpointSlice(id("s-1"));
      }
      PendingChanges expected = single.drain();
      PendingChanges actual = tracker.drain();
      assertThat(actual.changedServices()).as("round %s", round)
          .containsExactlyElementsOf(expected.changedServices());
      assertThat(actual.serviceEvents()).isEqualTo(expected.serviceEvents());
      assertThat(actual.endpointEvents()).isEqualTo(expected.endpointEvents());
      assertThat(actual.snapshot().serviceMap()).isEqualTo(expected.snapshot().serviceMap());
      assertThat(actual.snapshot().sliceMap()).isEqualTo(expected.snapshot().sliceMap());
    }
  }

  @Test
  @DisplayName("a slice whose service-name label changes marks both the old and the new service changed")
  void sliceRelabel() {
    tracker.upsertEndpointSlice(slice("s-1", "a").endpoint("10.1.0.1", "n").build());
    tracker.drain();
    tracker.upsertEndpointSlice(slice("s-1", "b").endpoint("10.1.0.1", "n").build());
    PendingChanges p = tracker.drain();
    assertThat(p.changedServices()).containsExactlyInAnyOrder(id("a"), id("b"));
    assertThat(p.snapshot().slices(id("a"))).isEmpty();
    assertThat(p.snapshot().slices(id("b"))).extracting(EndpointSlice::id).containsExactly(id("s-1"));
  }

  @Test
  @DisplayName("a slice without the service-name label belongs to no service; losing the label removes it from its service")
  void unlabelledSlice() {
    EndpointSlice unlabelled = EndpointSlice.builder("ns", "s-1").port("http", "TCP", 80).endpoint("10.1.0.1", "n").build();
    tracker.upsertEndpointSlice(unlabelled);
    assertThat(tracker.hasPendingChanges()).isFalse();
    tracker.upsertEndpointSlice(slice("s-1", "a").endpoint("10.1.0.1", "n").build());
    tracker.drain();
    tracker.upsertEndpointSlice(unlabelled);
    PendingChanges p = tracker.drain();
    assertThat(p.changedServices()).containsExactly(id("a"));
    assertThat(p.snapshot().slices(id("a"))).isEmpty();
    assertThat(p.snapshot().sliceMap()).isEmpty();
  }

  @Test
  @DisplayName("Node changes: appearing, zone label, addresses and pod CIDRs count; other labels don't; disappearing does")
  void nodeChanges() {
    tracker.updateNode(node("z1", "192.168.0.10"));
    assertThat(tracker.drain().nodeChanged()).as("appeared").isTrue();
    tracker.updateNode(new Node("node-a", ImmutableList.of(IpAddress.parse("192.168.0.10")),
        ImmutableMap.of(Node.LABEL_ZONE, "z1", "other", "x"), ImmutableList.of()));
    PendingChanges unrelated = tracker.drain();
    assertThat(unrelated.nodeChanged()).as("unrelated label").isFalse();
    assertThat(unrelated.snapshot().node().labels()).containsEntry("other", "x");
    tracker.updateNode(node("z2", "192.168.0.10"));
    assertThat(tracker.drain().nodeChanged()).as("zone").isTrue();
    tracker.updateNode(node("z2", "192.168.0.11"));
    assertThat(tracker.drain().nodeChanged()).as("addresses").isTrue();
    tracker.updateNode(new Node("node-a", ImmutableList.of(IpAddress.parse("192.168.0.11")),
        ImmutableMap.of(Node.LABEL_ZONE, "z2"), ImmutableList.of(Cidr.parse("10.244.0.0/24"))));
    assertThat(tracker.hasPendingChanges()).isTrue();
    assertThat(tracker.drain().nodeChanged()).as("pod CIDRs").isTrue();
    tracker.updateNode(null);
    PendingChanges gone = tracker.drain();
    assertThat(gone.nodeChanged()).as("gone").isTrue();
    assertThat(gone.snapshot().node()).isNull();
  }

  @Test
  @DisplayName("ServiceCIDRs: the union of every object's CIDRs is a table-wide fact; only a change of the union counts")
  void serviceCidrChanges() {
    Instant first = clock.instant();
    tracker.upsertServiceCidr(ServiceCidr.parse("kubernetes", List.of("10.96.0.0/16", "fd00:10:96::/112")));
    clock.advance(Duration.ofSeconds(1));
    tracker.upsertServiceCidr(ServiceCidr.parse("extra", List.of("10.97.0.0/16")));
    PendingChanges added = tracker.drain();
    assertThat(added.serviceCidrsChanged()).isTrue();
    assertThat(added.tableFactsChanged()).isTrue();
    assertThat(added.nodeChanged()).isFalse();
    assertThat(added.isEmpty()).isFalse();
    assertThat(added.oldestChange()).isEqualTo(first);
    assertThat(added.snapshot().serviceCidrs(IpFamily.V4))
        .containsExactly(Cidr.parse("10.96.0.0/16"), Cidr.parse("10.97.0.0/16"));
    assertThat(added.snapshot().serviceCidrs(IpFamily.V6)).containsExactly(Cidr.parse("fd00:10:96::/112"));

    // Another object holding a CIDR already known leaves the union as it is.
    tracker.upsertServiceCidr(ServiceCidr.parse("copy", List.of("10.97.0.0/16")));
    assertThat(tracker.hasPendingChanges()).isFalse();
    tracker.deleteServiceCidr("extra");
    assertThat(tracker.hasPendingChanges()).as("10.97.0.0/16 is still held by copy").isFalse();
    tracker.deleteServiceCidr("copy");
    PendingChanges removed = tracker.drain();
    assertThat(removed.serviceCidrsChanged()).isTrue();
    assertThat(removed.snapshot().serviceCidrs()).containsExactly(
        Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:10:96::/112"));
    tracker.deleteServiceCidr("never-seen");
    assertThat(tracker.drain().isEmpty()).isTrue();
  }

  @Test
  @DisplayName("nothing may be programmed until both Services and EndpointSlices completed their initial listing")
  void initialListing() {
    assertThat(tracker.initialListingDone()).isFalse();
    tracker.markServicesSynced();
    assertThat(tracker.initialListingDone()).isFalse();
    tracker.markEndpointSlicesSynced();
    assertThat(tracker.initialListingDone()).isTrue();
    ChangeTracker other = new ChangeTracker(clock);
    other.markEndpointSlicesSynced();
    assertThat(other.initialListingDone()).isFalse();
  }

  @Test
  @DisplayName("thread safety: concurrent upserts from several threads are all seen by one drain")
  void concurrentUpserts() throws Exception {
    int threads = 4;
    int perThread = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      futures.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perThread; i++) {
          String name = "s" + thread + "-" + i;
          tracker.upsertService(service(name, "10." + thread + "." + (i / 200) + "." + (i % 200 + 1)).build());
          tracker.upsertEndpointSlice(slice(name + "-x", name).endpoint("10.200." + thread + "." + (i % 200 + 1), "n").build());
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    PendingChanges p = tracker.drain();
    assertThat(p.changedServices()).hasSize(threads * perThread);
    assertThat(p.snapshot().services()).hasSize(threads * perThread);
    assertThat(p.snapshot().sliceMap()).hasSize(threads * perThread);
    assertThat(p.serviceEvents()).isEqualTo(threads * perThread);
    assertThat(p.endpointEvents()).isEqualTo(threads * perThread);
  }
}
