package dev.kubeproxy.bin.kube;

import static dev.kubeproxy.bin.kube.KubernetesSourceTest.NODE;
import static dev.kubeproxy.bin.kube.KubernetesSourceTest.service;
import static dev.kubeproxy.bin.kube.KubernetesSourceTest.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.bin.kube.FakeApiServer.Resource;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * API mode's reliability (issue 14, items 5 and 7): paginated initial lists, per-object strict
 * decoding, and the loss of the API server, each against the fake API server.
 */
class ApiReliabilityTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final NamespacedName WEB = NamespacedName.of("default", "web");

  @RegisterExtension
  final FakeApiServer fake = FakeApiServer.perTest().bookmarkInterval(Duration.ofMillis(200));
  private final ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
  private ClusterSnapshot snapshot = ClusterSnapshot.EMPTY;
  private KubernetesSource source;

  @AfterEach
  void stopSource() {
    if (source != null) {
      source.close();
    }
  }

  // ---------------------------------------------------------------- pagination (item 7)

  @Test
  @DisplayName("the initial list asks for pages of 500 (client-go's pager) and follows continue, without a resourceVersion, to the last page")
  void initialListIsPaginated() throws IOException {
    int count = 1203;
    for (int i = 0; i < count; i++) {
      fake.apply(service("svc-" + i, ip(i), 80));
      fake.apply(slice("svc-" + i + "-abc", "svc-" + i, "10.244." + (i / 250) + "." + (i % 250 + 1), 8080));
    }
    start(new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)));
    await("synced", tracker::initialListingDone);

    assertThat(drain().services().size()).isEqualTo(count);
    assertThat(snapshot.slices(NamespacedName.of("default", "svc-1202"))).hasSize(1);
    List<String> pages = lists("/api/v1/services");
    assertThat(pages).hasSize(3).allMatch(r -> r.contains("limit=500"));
    assertThat(pages.get(0)).contains("resourceVersion=0").doesNotContain("continue=");
    assertThat(pages.subList(1, 3)).allMatch(r -> r.contains("continue=") && !r.contains("resourceVersion="));
    assertThat(lists("/apis/discovery.k8s.io/v1/endpointslices")).hasSize(3);
  }

  @Test
  @DisplayName("a continue token that expired mid-list (410 Expired) is followed by one fresh full list; nothing is lost or doubled")
  void expiredContinueTokenRelistsInFull() throws IOException {
    int count = 1100;
    for (int i = 0; i < count; i++) {
      fake.apply(service("svc-" + i, ip(i), 80));
    }
    fake.expireNextContinueToken();
    start(new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)));
    await("synced", tracker::initialListingDone);

    assertThat(drain().services().size()).isEqualTo(count);
    List<String> lists = lists("/api/v1/services");
    assertThat(lists).hasSize(3);
    assertThat(lists.get(1)).contains("continue=");
    // The fallback: no limit, no continue, the requested resourceVersion.
    assertThat(lists.get(2)).doesNotContain("limit=").doesNotContain("continue=").contains("resourceVersion=0");
  }

  // ---------------------------------------------------------------- strict scalars (item 5)

  @Test
  @DisplayName("a wrapped, float or quoted number or a non-boolean in one object skips that object with one WARN naming kind, name, field and value; the rest of the list is fed")
  void badScalarsSkipOneObjectEach() throws IOException {
    fake.apply(service("web", "10.0.0.10", 80));
    fake.applyJson(serviceJson("wrap", "10.0.0.11", "4294967376", "10800"));
    fake.applyJson(serviceJson("float", "10.0.0.12", "81.9", "10800"));
    fake.applyJson(serviceJson("quoted", "10.0.0.13", "\"80\"", "10800"));
    fake.applyJson(serviceJson("timeout", "10.0.0.14", "80", "4294967896"));
    fake.applyJson(
        """
        {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
         "metadata":{"namespace":"default","name":"web-no","labels":{"kubernetes.io/service-name":"web"}},
         "addressType":"IPv4","endpoints":[{"addresses":["10.1.0.9"],"conditions":{"ready":"no"}}],
         "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}""");
    fake.apply(slice("web-abc", "web", "10.1.0.5", 8080));
    // Not a scalar rule, yet one object's decoding error all the same.
    fake.applyJson(
        """
        {"kind":"Service","apiVersion":"v1",
         "metadata":{"namespace":"default","name":"stamp","creationTimestamp":"yesterday"},
         "spec":{"clusterIP":"10.0.0.15","ports":[{"name":"http","protocol":"TCP","port":80}]}}""");

    String log = Stderr.capture(() -> {
      start(new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)));
      await("synced", tracker::initialListingDone);
    });

    assertThat(drain().services().keySet()).containsExactly(WEB);
    assertThat(snapshot.slices(WEB)).hasSize(1);
    assertThat(warnings(log, "default/wrap")).containsExactly(
        "skipping Service default/wrap: spec.ports[0].port: 4294967376 does not fit a 32-bit integer");
    assertThat(warnings(log, "default/float")).containsExactly(
        "skipping Service default/float: spec.ports[0].port: 81.9 is not an integer");
    assertThat(warnings(log, "default/quoted")).containsExactly(
        "skipping Service default/quoted: spec.ports[0].port: must be an integer, not the string '80'");
    assertThat(warnings(log, "default/timeout")).containsExactly(
        "skipping Service default/timeout: spec.sessionAffinityConfig.clientIP.timeoutSeconds:"
            + " 4294967896 does not fit a 32-bit integer");
    assertThat(warnings(log, "default/web-no")).containsExactly(
        "skipping EndpointSlice default/web-no: endpoints[0].conditions.ready: must be true or false,"
            + " not the string 'no'");
    assertThat(warnings(log, "default/stamp")).singleElement().asString().contains("yesterday");
    assertThat(lists("/api/v1/services")).hasSize(1);
  }

  @Test
  @DisplayName("a watched update with a bad number keeps the previous version, warns once, and neither ends the watch nor forces a relist; a good update then applies")
  void badScalarInWatchKeepsPreviousVersion() throws IOException {
    fake.apply(service("web", "10.0.0.10", 80));
    start(new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)));
    await("synced", tracker::initialListingDone);
    assertThat(ports(drain().service(WEB))).containsExactly(80);

    String log = Stderr.capture(() -> {
      fake.applyJson(serviceJson("web", "10.0.0.10", "4294967376", "10800"));
      fake.apply(service("api", "10.0.0.11", 80));
      await("api fed after the bad web", () -> drain().service(NamespacedName.of("default", "api")) != null);
    });
    assertThat(warnings(log, "default/web")).hasSize(1);
    assertThat(ports(snapshot.service(WEB))).containsExactly(80);
    assertThat(lists("/api/v1/services")).hasSize(1);

    fake.apply(service("web", "10.0.0.10", 443));
    await("web updated", () -> ports(drain().service(WEB)).equals(List.of(443)));
  }

  // ---------------------------------------------------------------- API server loss (item 5)

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"crash", "graceful"})
  @DisplayName("API server loss (a crash cuts the watches, a graceful stop ends them): the state stays while it is gone; it returns compacted with a changed world (a resumed watch gets 410 Gone); the relist converges with nothing lost, reconnecting within the backoff's bound")
  void apiServerLossThenGone(String how) throws IOException, InterruptedException {
    for (int i = 0; i < 20; i++) {
      fake.apply(service("svc-" + i, ip(i), 80));
      fake.apply(slice("svc-" + i + "-abc", "svc-" + i, "10.244.0." + (i + 1), 8080));
    }
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(400));
    start(backoff);
    await("synced", tracker::initialListingDone);
    ClusterSnapshot before = drain();
    assertThat(before.services().size()).isEqualTo(20);

    if (how.equals("crash")) {
      fake.stop();
    } else {
      fake.shutDown();
    }
    // While the API server is gone the world changes: 5 services deleted, 5 changed, 5 added.
    for (int i = 0; i < 5; i++) {
      fake.delete(Resource.SERVICES, "default", "svc-" + i);
      fake.delete(Resource.ENDPOINT_SLICES, "default", "svc-" + i + "-abc");
      fake.apply(service("svc-" + (5 + i), ip(5 + i), 8443));
      fake.apply(slice("svc-" + (5 + i) + "-abc", "svc-" + (5 + i), "10.244.1." + (i + 1), 9090));
      fake.apply(service("new-" + i, ip(100 + i), 80));
      fake.apply(slice("new-" + i + "-abc", "new-" + i, "10.244.2." + (i + 1), 8080));
    }
    // Gone long enough for the list backoff to reach its cap; nothing reaches the tracker.
    long outage = System.nanoTime();
    while (System.nanoTime() - outage < Duration.ofSeconds(3).toNanos()) {
      assertThat(tracker.hasPendingChanges()).as("changes while the API server is gone").isFalse();
      Thread.sleep(50);
    }
    assertThat(drain().services()).isEqualTo(before.services());
    fake.compact();
    fake.restart();
    long back = System.nanoTime();

    await("converged", () -> {
      ClusterSnapshot s = drain();
      return s.services().size() == 20
          && s.service(NamespacedName.of("default", "svc-0")) == null
          && s.service(NamespacedName.of("default", "new-4")) != null
          && ports(s.service(NamespacedName.of("default", "svc-9"))).equals(List.of(8443))
          && s.slices(NamespacedName.of("default", "svc-9")).stream()
              .allMatch(sl -> sl.endpoints().get(0).address().toString().equals("10.244.1.5"))
          && s.slices(NamespacedName.of("default", "svc-0")).isEmpty();
    });
    Duration reconnect = Duration.ofNanos(System.nanoTime() - back);
    // Bounded: the client's 1 s watch retry plus the 400 ms list backoff cap, with slack.
    assertThat(reconnect).isLessThan(Duration.ofSeconds(5));
    if (how.equals("graceful")) {
      // The watches ended cleanly, so the client resumed them from its last version: 410.
      assertThat(fake.goneSent()).isGreaterThanOrEqualTo(1);
    }
    for (int i = 10; i < 20; i++) {
      NamespacedName kept = NamespacedName.of("default", "svc-" + i);
      assertThat(snapshot.service(kept)).isEqualTo(before.service(kept));
      assertThat(snapshot.slices(kept)).isEqualTo(before.slices(kept));
    }
  }

  // ---------------------------------------------------------------- helpers

  private void start(Backoff backoff) throws IOException {
    source = KubernetesSource.start(KubernetesSource.apiClient(null, fake.url()), tracker, NODE, () -> {}, backoff);
  }

  private ClusterSnapshot drain() {
    snapshot = tracker.drain().snapshot();
    return snapshot;
  }

  /** The list (not watch) requests of {@code path}, oldest first. */
  private List<String> lists(String path) {
    return fake.requests().stream().filter(r -> r.startsWith("GET " + path + "?") && r.contains("watch=false")).toList();
  }

  private static String ip(int i) {
    return "10.96." + (i / 250) + "." + (i % 250 + 1);
  }

  private static String serviceJson(String name, String clusterIp, String port, String timeout) {
    return """
        {"kind":"Service","apiVersion":"v1","metadata":{"namespace":"default","name":"%s"},
         "spec":{"type":"ClusterIP","clusterIP":"%s","clusterIPs":["%s"],"sessionAffinity":"ClientIP",
                 "sessionAffinityConfig":{"clientIP":{"timeoutSeconds":%s}},
                 "ports":[{"name":"http","protocol":"TCP","port":%s}]}}"""
        .formatted(name, clusterIp, clusterIp, timeout, port);
  }

  private static List<Integer> ports(Service service) {
    return service == null ? List.of() : service.ports().stream().map(p -> p.port()).toList();
  }

  /** The WARN lines about {@code object}, from "skipping" on. */
  private static List<String> warnings(String log, String object) {
    return log.lines()
        .filter(l -> l.startsWith("W") && l.contains(object + ":"))
        .map(l -> l.substring(l.indexOf("skipping")))
        .toList();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT + " waiting for: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

}
