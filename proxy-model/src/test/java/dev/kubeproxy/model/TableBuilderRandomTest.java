package dev.kubeproxy.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointPort;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SliceEndpoint;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Seeded random clusters: the builder never throws, its invariants hold, updates equal builds. */
class TableBuilderRandomTest {
  private static final IpFamily[] FAMILIES = IpFamily.values();

  static Stream<Long> seeds() {
    return IntStream.range(0, 50).mapToObj(i -> 1000L + i);
  }

  private static ClusterSnapshot randomSnapshot(RandomCluster gen, Random random) {
    ChangeTracker tracker = new ChangeTracker(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
    for (int i = 0; i < RandomCluster.SERVICES; i++) {
      if (random.nextDouble() < 0.9) {
        tracker.upsertService(gen.service(i));
      }
      for (int k = random.nextInt(3); k > 0; k--) {
        tracker.upsertEndpointSlice(gen.slice(i, k));
      }
    }
    tracker.updateNode(random.nextDouble() < 0.9 ? gen.node() : null);
    return tracker.drain().snapshot();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("random valid inputs never make build throw, and every entry obeys the table invariants")
  void invariants(long seed) {
    Random random = new Random(seed);
    RandomCluster gen = new RandomCluster(random);
    for (int round = 0; round < 5; round++) {
      ClusterSnapshot snapshot = randomSnapshot(gen, random);
      ProxyConfig config = gen.config();
      for (IpFamily family : FAMILIES) {
        ForwardingTable table = TableBuilder.build(family, snapshot, config);
        for (ServiceEntry entry : table.entries().values()) {
          checkEntry(seed, family, snapshot, entry);
        }
        for (Service service : snapshot.services().values()) {
          boolean proxied = ServiceFrontends.proxied(service, family);
          for (var port : service.ports()) {
            assertThat(table.entry(ServiceFrontends.key(service, port)) != null)
                .as("seed %d: %s port %s in %s table", seed, service.id(), port.name(), family)
                .isEqualTo(proxied);
          }
        }
      }
    }
  }

  private static void checkEntry(long seed, IpFamily family, ClusterSnapshot snapshot, ServiceEntry entry) {
    ServicePortKey key = entry.key();
    List<ServiceEndpoint> all = new ArrayList<>(entry.internal().endpoints());
    all.addAll(entry.external().endpoints());
    all.addAll(entry.cluster());
    for (ServiceEndpoint ep : all) {
      assertThat(ep.address().family()).as("seed %d: %s endpoint %s family", seed, key, ep).isEqualTo(family);
      assertThat(inSomeSlice(snapshot, key, family, ep))
          .as("seed %d: %s endpoint %s comes from a slice of the service", seed, key, ep)
          .isTrue();
      assertThat(hasCopyOnNode(snapshot, key, family, ep, ep.local()))
          .as("seed %d: %s local flag of %s matches a slice copy", seed, key, ep)
          .isTrue();
    }
    if (entry.internalPolicyLocal()) {
      assertThat(entry.internal().endpoints()).as("seed %d: %s internal local", seed, key).allMatch(ServiceEndpoint::local);
    }
    if (entry.externalPolicyLocal()) {
      assertThat(entry.external().endpoints()).as("seed %d: %s external local", seed, key).allMatch(ServiceEndpoint::local);
    }
    assertThat(entry.rejectsEverything())
        .as("seed %d: %s rejects everything exactly when nothing is ready or serving-terminating", seed, key)
        .isEqualTo(!anyUsable(snapshot, key, family));
    for (List<ServiceEndpoint> list : List.of(entry.internal().endpoints(), entry.external().endpoints(), entry.cluster())) {
      assertThat(list).as("seed %d: %s sorted by ip:port string", seed, key).isSorted();
      assertThat(new HashSet<>(list)).as("seed %d: %s no duplicates", seed, key).hasSameSizeAs(list);
    }
    entry.frontends().forEach(f -> {
      if (f.address() != null) {
        assertThat(f.address().family()).as("seed %d: %s frontend %s", seed, key, f).isEqualTo(family);
      }
    });
  }

  /** Slice endpoints of the service in this family, on the slice port serving {@code key}, with their port. */
  private static List<Map.Entry<SliceEndpoint, Integer>> sliceEndpoints(ClusterSnapshot snapshot, ServicePortKey key, IpFamily family) {
    List<Map.Entry<SliceEndpoint, Integer>> out = new ArrayList<>();
    for (EndpointSlice slice : snapshot.slices(key.service())) {
      if (slice.addressFamily() != family) {
        continue;
      }
      for (EndpointPort port : slice.ports()) {
        if (port.name().equals(key.portName()) && port.protocol() == key.protocol()) {
          slice.endpoints().forEach(e -> out.add(Map.entry(e, port.port())));
          break;
        }
      }
    }
    return out;
  }

  private static boolean inSomeSlice(ClusterSnapshot snapshot, ServicePortKey key, IpFamily family, ServiceEndpoint ep) {
    return sliceEndpoints(snapshot, key, family).stream()
        .anyMatch(e -> e.getKey().address().equals(ep.address()) && e.getValue() == ep.port());
  }

  /** Whether a slice copy of {@code ep} is (or is not, for {@code local} false) on this node. */
  private static boolean hasCopyOnNode(
      ClusterSnapshot snapshot, ServicePortKey key, IpFamily family, ServiceEndpoint ep, boolean local) {
    return sliceEndpoints(snapshot, key, family).stream()
        .filter(e -> e.getKey().address().equals(ep.address()) && e.getValue() == ep.port())
        .anyMatch(e -> Fixtures.NODE.equals(e.getKey().nodeName()) == local);
  }

  private static boolean anyUsable(ClusterSnapshot snapshot, ServicePortKey key, IpFamily family) {
    return sliceEndpoints(snapshot, key, family).stream()
        .map(Map.Entry::getKey)
        .anyMatch(e -> e.ready() || (e.serving() && e.terminating()));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  @DisplayName("random change sequences: drain + update equals a full build at every step, and changedKeys are exactly the differing keys")
  void updateEqualsBuild(long seed) {
    Random random = new Random(seed);
    RandomCluster gen = new RandomCluster(random);
    ProxyConfig config = gen.config();
    ChangeTracker tracker = new ChangeTracker(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
    tracker.updateNode(gen.node());
    ClusterSnapshot previousSnapshot = tracker.drain().snapshot();
    Map<IpFamily, ForwardingTable> tables = new EnumMap<>(IpFamily.class);
    for (IpFamily family : FAMILIES) {
      tables.put(family, TableBuilder.build(family, previousSnapshot, config));
    }
    for (int step = 0; step < 40; step++) {
      for (int op = 1 + random.nextInt(4); op > 0; op--) {
        applyRandomChange(gen, random, tracker);
      }
      PendingChanges pending = tracker.drain();
      ClusterSnapshot snapshot = pending.snapshot();
      for (IpFamily family : FAMILIES) {
        ForwardingTable previous = tables.get(family);
        TableUpdate update = TableBuilder.update(previous, previousSnapshot, snapshot, config, pending.changedServices());
        ForwardingTable fresh = TableBuilder.build(family, snapshot, config);
        assertThat(update.table().entries()).as("seed %d step %d %s: update equals build", seed, step, family)
            .isEqualTo(fresh.entries());
        assertThat(update.table().sameFacts(fresh)).as("seed %d step %d %s: facts", seed, step, family).isTrue();
        Set<ServicePortKey> differing = new HashSet<>(previous.entries().keySet());
        differing.addAll(fresh.entries().keySet());
        differing.removeIf(k -> Objects.equals(previous.entry(k), fresh.entry(k)));
        assertThat(update.changedKeys()).as("seed %d step %d %s: changed keys", seed, step, family)
            .containsExactlyInAnyOrderElementsOf(differing);
        tables.put(family, update.table());
      }
      previousSnapshot = snapshot;
    }
  }

  private static void applyRandomChange(RandomCluster gen, Random random, ChangeTracker tracker) {
    int service = random.nextInt(RandomCluster.SERVICES);
    int k = 1 + random.nextInt(3);
    switch (random.nextInt(5)) {
      case 0, 1 -> tracker.upsertService(gen.service(service));
      case 2 -> tracker.deleteService(Fixtures.id(RandomCluster.serviceName(service)));
      case 3 -> tracker.upsertEndpointSlice(gen.slice(service, k));
      default -> tracker.deleteEndpointSlice(Fixtures.id(RandomCluster.serviceName(service) + "-" + k));
    }
  }
}
