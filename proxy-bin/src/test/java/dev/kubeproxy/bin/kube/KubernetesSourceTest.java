package dev.kubeproxy.bin.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.google.gson.JsonObject;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.SliceEndpoint;
import dev.kubeproxy.bin.kube.FakeApiServer.Resource;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.PendingChanges;
import io.kubernetes.client.openapi.models.DiscoveryV1EndpointPort;
import io.kubernetes.client.openapi.models.V1Endpoint;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeAddress;
import io.kubernetes.client.openapi.models.V1NodeStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceCIDR;
import io.kubernetes.client.openapi.models.V1ServiceCIDRSpec;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The informer source against the in-test fake API server, feeding a real ChangeTracker. */
class KubernetesSourceTest {
  static final String NODE = "node-a";
  private static final String ZONE = "topology.kubernetes.io/zone";
  private static final NamespacedName WEB = NamespacedName.of("default", "web");
  private static final NamespacedName API = NamespacedName.of("default", "api");
  private static final NamespacedName WEB_SLICE = NamespacedName.of("default", "web-abc");
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;

  @RegisterExtension
  final FakeApiServer fake = FakeApiServer.perTest().bookmarkInterval(Duration.ofMillis(200));
  private final ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
  private final AtomicInteger changes = new AtomicInteger();
  private final AtomicBoolean changeAfterSync = new AtomicBoolean();
  // Services named in any drain so far (drains reset the tracker's own set).
  private final Set<NamespacedName> drained = new HashSet<>();
  private ClusterSnapshot snapshot = ClusterSnapshot.EMPTY;
  private boolean nodeChanged;
  private KubernetesSource source;

  @AfterEach
  void stopSource() {
    if (source != null) {
      source.close();
    }
  }

  // ---------------------------------------------------------------- the sync gate

  @Test
  @DisplayName("nothing counts as synced until both the Service and the EndpointSlice lists were fed (upstream waits for both informers)")
  void syncGateWaitsForBothLists() throws IOException {
    fake.apply(service("web", "10.0.0.10", 80));
    fake.apply(slice("web-abc", "web", "10.1.0.5", 8080));
    fake.holdLists(Resource.ENDPOINT_SLICES);

    startSource();
    await("the Service list fed", () -> drain().service(WEB) != null);
    await("the EndpointSlice list requested", () -> listRequests(Resource.ENDPOINT_SLICES) > 0);
    assertThat(tracker.initialListingDone()).isFalse();
    assertThat(source.hasSynced()).isFalse();

    fake.releaseLists(Resource.ENDPOINT_SLICES);
    await("initial listing done", tracker::initialListingDone);
    // The gate opens only once the listed slice is in the tracker.
    assertThat(addresses(drain(), WEB)).containsExactly("10.1.0.5");
    assertThat(source.hasSynced()).isTrue();
    await("onChange after the gate opened", changeAfterSync::get);
  }

  // ---------------------------------------------------------------- events

  @Test
  @DisplayName("adds, updates and deletes of Services and EndpointSlices reach the tracker as changes of their service")
  void addUpdateDelete() throws IOException {
    startSynced();

    fake.apply(service("web", "10.0.0.10", 80));
    fake.apply(slice("web-abc", "web", "10.1.0.5", 8080));
    await("web added", () -> drain().service(WEB) != null && !snapshot.slices(WEB).isEmpty());
    assertThat(drained).contains(WEB);
    assertThat(ports(snapshot.service(WEB))).containsExactly(80);
    assertThat(addresses(snapshot, WEB)).containsExactly("10.1.0.5");

    drained.clear();
    fake.apply(service("web", "10.0.0.10", 443));
    await("port updated", () -> ports(drain().service(WEB)).equals(List.of(443)));
    fake.apply(slice("web-abc", "web", "10.1.0.6", 8080));
    await("endpoint updated", () -> addresses(drain(), WEB).equals(List.of("10.1.0.6")));
    assertThat(drained).containsExactly(WEB);

    fake.delete(Resource.ENDPOINT_SLICES, "default", "web-abc");
    await("slice deleted", () -> drain().slices(WEB).isEmpty());
    assertThat(snapshot.service(WEB)).isNotNull();
    fake.delete(Resource.SERVICES, "default", "web");
    await("service deleted", () -> drain().service(WEB) == null);
    assertThat(changes.get()).isGreaterThanOrEqualTo(6);
  }

  @Test
  @DisplayName("an invalid object is skipped with one WARN line naming it and the field; the others apply, and an update that turns invalid keeps the previous version")
  void invalidObjectsSkipped() throws IOException {
    fake.apply(service("web", "10.0.0.10", 80));
    String log =
        Stderr.capture(
            () -> {
              fake.apply(service("bad", "not-an-ip", 80));
              startSynced();
              fake.apply(service("api", "10.0.0.11", 80));
              await("api added", () -> drain().service(API) != null);
            });
    assertThat(snapshot.services().keySet()).containsExactlyInAnyOrder(WEB, API);
    List<String> warnings = log.lines().filter(l -> l.contains("default/bad")).toList();
    assertThat(warnings).hasSize(1);
    // A klog-like warning line: W, then the date (slf4j-simple's "[WARN]" before the klog format).
    assertThat(warnings.get(0)).matches("(?s)^W\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{6} .*")
        .contains("Service default/bad").contains("clusterIP");

    fake.apply(service("web", "not-an-ip-either", 8080));
    fake.apply(service("api", "10.0.0.11", 81));
    await("api updated", () -> ports(drain().service(API)).equals(List.of(81)));
    assertThat(ports(snapshot.service(WEB))).containsExactly(80);
    assertThat(snapshot.service(WEB).clusterIps()).containsExactly(IpAddress.parse("10.0.0.10"));
  }

  @Test
  @DisplayName("an empty EndpointSlice sent with endpoints: null and fields this client's model does not know still sync (the API server sends both)")
  void lenientDecoding() throws IOException {
    fake.apply(service("web", "10.0.0.10", 80));
    fake.applyJson(
        """
        {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
         "metadata":{"namespace":"default","name":"web-empty","labels":{"kubernetes.io/service-name":"web"},
                     "someFutureMetadata":"x"},
         "addressType":"IPv4","endpoints":null,"ports":null,"someFutureField":{"a":1}}""");
    startSynced();
    await("slice fed", () -> !drain().slices(WEB).isEmpty());
    assertThat(addresses(snapshot, WEB)).isEmpty();

    fake.applyJson(
        """
        {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
         "metadata":{"namespace":"default","name":"web-empty","labels":{"kubernetes.io/service-name":"web"}},
         "addressType":"IPv4","endpoints":[{"addresses":["10.1.0.7"],"futureCondition":true}],
         "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}""");
    await("watched slice fed", () -> addresses(drain(), WEB).equals(List.of("10.1.0.7")));
  }

  // ---------------------------------------------------------------- API loss

  @Test
  @DisplayName("losing the API server keeps the tracker's state (rules stay); on its return the watches resume and the tracker converges")
  void apiServerLossKeepsStateThenConverges() throws IOException {
    fake.apply(service("web", "10.0.0.10", 80));
    fake.apply(slice("web-abc", "web", "10.1.0.5", 8080));
    startSynced();
    ClusterSnapshot before = drain();
    assertThat(before.service(WEB)).isNotNull();

    fake.stop();
    fake.apply(service("web", "10.0.0.10", 443));
    fake.apply(service("api", "10.0.0.11", 80));
    fake.delete(Resource.ENDPOINT_SLICES, "default", "web-abc");
    assertStaysFor(Duration.ofMillis(1500), () -> !tracker.hasPendingChanges());
    assertThat(drain().services()).isEqualTo(before.services());
    assertThat(addresses(snapshot, WEB)).containsExactly("10.1.0.5");

    fake.restart();
    await(
        "converged after restart",
        () -> {
          ClusterSnapshot s = drain();
          return s.service(API) != null
              && ports(s.service(WEB)).equals(List.of(443))
              && s.slices(WEB).isEmpty();
        });
    assertThat(drained).contains(WEB, API);
  }

  @Test
  @DisplayName("a watch resumed from a compacted resourceVersion gets 410 Gone; the informer relists and the tracker converges, deletions included")
  void goneAfterCompactionRelists() throws IOException {
    fake.apply(service("web", "10.0.0.10", 80));
    fake.apply(slice("web-abc", "web", "10.1.0.5", 8080));
    startSynced();
    await("web fed", () -> drain().service(WEB) != null);
    int serviceLists = listRequests(Resource.SERVICES);

    // The watches fall behind, the history is compacted, then they end: resuming gets 410.
    fake.holdWatchEvents();
    fake.delete(Resource.SERVICES, "default", "web");
    fake.delete(Resource.ENDPOINT_SLICES, "default", "web-abc");
    fake.apply(service("api", "10.0.0.11", 80));
    fake.compact();
    fake.dropWatches();

    await(
        "converged after relist",
        () -> drain().service(API) != null && snapshot.service(WEB) == null && snapshot.slices(WEB).isEmpty());
    assertThat(drained).contains(WEB, API);
    assertThat(fake.goneSent()).isGreaterThanOrEqualTo(1);
    assertThat(listRequests(Resource.SERVICES)).isGreaterThan(serviceLists);
  }

  // ---------------------------------------------------------------- node

  @Test
  @DisplayName("only the own Node is watched (field selector metadata.name); a zone label change marks the node changed (upstream forces a full sync)")
  void ownNodeOnly() throws IOException {
    fake.apply(node(NODE, "zone-1", "192.168.1.10"));
    fake.apply(node("node-b", "zone-9", "192.168.1.11"));
    startSynced();
    await("node fed", () -> drain().node() != null);
    assertThat(snapshot.node().name()).isEqualTo(NODE);
    assertThat(snapshot.node().zone()).isEqualTo("zone-1");
    assertThat(fake.requests())
        .anyMatch(r -> r.startsWith("GET /api/v1/nodes") && r.contains("fieldSelector=metadata.name=" + NODE));

    fake.apply(node("node-b", "zone-8", "192.168.1.11"));
    fake.apply(node(NODE, "zone-2", "192.168.1.10"));
    await("zone changed", () -> "zone-2".equals(drain().node().zone()));
    assertThat(nodeChanged).isTrue();
    assertThat(snapshot.node().addresses()).containsExactly(IpAddress.parse("192.168.1.10"));

    fake.delete(Resource.NODES, null, NODE);
    await("node gone", () -> drain().node() == null);
  }

  // ---------------------------------------------------------------- selectors

  @Test
  @DisplayName("Services and EndpointSlices labelled service-proxy-name or headless are never fed (upstream's informer label selector)")
  void labelSelectorExclusions() throws IOException {
    V1Service other = service("other", "10.0.0.12", 80);
    other.getMetadata().putLabelsItem("service.kubernetes.io/service-proxy-name", "someone-else");
    V1Service headless = service("headless", "10.0.0.13", 80);
    headless.getMetadata().putLabelsItem("service.kubernetes.io/headless", "");
    V1EndpointSlice headlessSlice = slice("headless-abc", "headless", "10.1.0.9", 80);
    headlessSlice.getMetadata().putLabelsItem("service.kubernetes.io/headless", "");
    fake.apply(other);
    fake.apply(headless);
    fake.apply(headlessSlice);
    fake.apply(service("web", "10.0.0.10", 80));
    startSynced();

    assertThat(drain().services().keySet()).containsExactly(WEB);
    assertThat(snapshot.slices(NamespacedName.of("default", "headless"))).isEmpty();
    assertThat(fake.requests())
        .anyMatch(r -> r.startsWith("GET /api/v1/services") && r.contains("labelSelector=" + KubernetesSource.LABEL_SELECTOR))
        .anyMatch(r -> r.startsWith("GET /apis/discovery.k8s.io/v1/endpointslices")
            && r.contains("labelSelector=" + KubernetesSource.LABEL_SELECTOR));

    // Labelling a watched service out of the selection removes it, as the server reports DELETED.
    V1Service claimed = service("web", "10.0.0.10", 80);
    claimed.getMetadata().putLabelsItem("service.kubernetes.io/service-proxy-name", "someone-else");
    fake.apply(claimed);
    await("web dropped", () -> drain().service(WEB) == null);
  }

  // ---------------------------------------------------------------- client config

  @Test
  @DisplayName("the client comes from the kubeconfig, whose server --master overrides, else from --master alone (upstream's precedence)")
  void apiClientPrecedence() throws IOException {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster:
            server: %s
        users:
        - name: u
          user:
            token: secret
        contexts:
        - name: x
          context:
            cluster: c
            user: u
        current-context: x
        """
            .formatted(fake.url()));

    assertThat(KubernetesSource.apiClient(kubeconfig.toString(), null).getBasePath()).isEqualTo(fake.url());
    assertThat(KubernetesSource.apiClient(kubeconfig.toString(), "https://10.9.9.9:6443").getBasePath())
        .isEqualTo("https://10.9.9.9:6443");
    assertThat(KubernetesSource.apiClient("", "http://10.9.9.8:8080").getBasePath()).isEqualTo("http://10.9.9.8:8080");

    // The kubeconfig client really reaches the server it names.
    fake.apply(service("web", "10.0.0.10", 80));
    source =
        KubernetesSource.start(
            KubernetesSource.apiClient(kubeconfig.toString(), null), tracker, NODE, () -> {}, fastBackoff());
    await("synced via kubeconfig", tracker::initialListingDone);
    assertThat(drain().service(WEB)).isNotNull();
  }

  @Test
  @DisplayName("with neither --kubeconfig nor --master outside a cluster, the in-cluster config fails with a clear reason")
  void inClusterOutsideACluster() {
    assumeThat(System.getenv("KUBERNETES_SERVICE_HOST")).isNull();
    assertThatThrownBy(() -> KubernetesSource.apiClient(null, null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("--kubeconfig or --master");
  }

  // ---------------------------------------------------------------- ServiceCIDRs

  @Test
  @DisplayName("ServiceCIDRs are listed and watched: their CIDRs reach the tracker as a facts change, a deletion removes them, an invalid one is skipped with one WARN naming its field")
  void serviceCidrs() throws IOException {
    fake.apply(serviceCidr("kubernetes", "10.96.0.0/16", "fd00:10:96::/112"));
    startSynced();
    await("listed ServiceCIDR", () -> drain().serviceCidrs().size() == 2);
    assertThat(snapshot.serviceCidrs(IpFamily.V4)).containsExactly(Cidr.parse("10.96.0.0/16"));

    String log = Stderr.capture(() -> {
      fake.apply(serviceCidr("bad", "10.97.0.1/16"));
      fake.apply(serviceCidr("extra", "10.100.0.0/24"));
      await("watched ServiceCIDR", () -> tracker.serviceCidrs().contains(Cidr.parse("10.100.0.0/24")));
    });
    assertThat(log).containsOnlyOnce("ServiceCIDR bad: spec.cidrs[0]");
    assertThat(tracker.serviceCidrs()).hasSize(3);
    PendingChanges added = tracker.drain();
    assertThat(added.serviceCidrsChanged()).isTrue();
    assertThat(added.tableFactsChanged()).isTrue();

    fake.delete(Resource.SERVICE_CIDRS, null, "extra");
    await("deleted ServiceCIDR", () -> !tracker.serviceCidrs().contains(Cidr.parse("10.100.0.0/24")));
    assertThat(fake.requests()).anyMatch(r -> r.startsWith("GET /apis/networking.k8s.io/v1/servicecidrs"));
  }

  @Test
  @DisplayName("a Service with no ClusterIP of this proxy's family gets upstream's KubeProxyIncorrectIPVersion warning once, regarding the Service; updates, relists and watch restarts do not repeat it")
  void wrongFamilyServiceWarnedOnce() throws IOException {
    KubernetesNodeEvents events = new KubernetesNodeEvents(
        KubernetesSource.apiClient(null, fake.url()), NODE, Clock.systemUTC());
    V1Service v6 = service("six", "fd00:10:96::10", 80);
    v6.getMetadata().uid("uid-six");
    fake.apply(v6);
    fake.apply(service("web", "10.0.0.10", 80));
    ServiceUids uids = new ServiceUids();
    try {
      source = KubernetesSource.start(KubernetesSource.apiClient(null, fake.url()), tracker, NODE,
          () -> {}, fastBackoff(), n -> n,
          new IpFamilyWarnings(EnumSet.of(IpFamily.V4), events), uids);
      await("initial listing done", tracker::initialListingDone);
      assertThat(uids.uid(NamespacedName.of("default", "six"))).isEqualTo("uid-six");
      await("the warning", () -> fake.events().size() == 1);

      JsonObject event = fake.events().get(0);
      assertThat(event.get("type").getAsString()).isEqualTo("Warning");
      assertThat(event.get("reason").getAsString()).isEqualTo("KubeProxyIncorrectIPVersion");
      assertThat(event.get("action").getAsString()).isEqualTo("GatherEndpoints");
      assertThat(event.get("note").getAsString())
          .isEqualTo("fd00:10:96::10 in clusterIP has incorrect IP version");
      JsonObject regarding = event.getAsJsonObject("regarding");
      assertThat(regarding.get("kind").getAsString()).isEqualTo("Service");
      assertThat(regarding.get("namespace").getAsString()).isEqualTo("default");
      assertThat(regarding.get("name").getAsString()).isEqualTo("six");
      assertThat(regarding.get("uid").getAsString()).isEqualTo("uid-six");
      assertThat(fake.requests()).contains("POST /apis/events.k8s.io/v1/namespaces/default/events");

      // An unrelated update, a relist after 410 Gone and a dropped watch: still one event.
      fake.apply(service("six", "fd00:10:96::10", 443));
      await("update seen", () -> ports(drain().service(NamespacedName.of("default", "six"))).equals(List.of(443)));
      fake.compact();
      fake.dropWatches();
      fake.apply(service("web", "10.0.0.10", 8080));
      await("relisted", () -> ports(drain().service(WEB)).equals(List.of(8080)));
      assertStaysFor(Duration.ofMillis(500), () -> fake.events().size() == 1);

      // Deleted and created again: a new Service, warned again.
      fake.delete(Resource.SERVICES, "default", "six");
      await("deleted", () -> drain().service(NamespacedName.of("default", "six")) == null);
      assertThat(uids.uid(NamespacedName.of("default", "six"))).as("a deleted Service's UID").isNull();
      fake.apply(service("six", "fd00:10:96::11", 80));
      await("the second warning", () -> fake.events().size() == 2);
      assertThat(fake.events().get(1).get("note").getAsString())
          .isEqualTo("fd00:10:96::11 in clusterIP has incorrect IP version");
    } finally {
      events.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  private void startSource() throws IOException {
    source =
        KubernetesSource.start(
            KubernetesSource.apiClient(null, fake.url()),
            tracker,
            NODE,
            () -> {
              changes.incrementAndGet();
              if (tracker.initialListingDone()) {
                changeAfterSync.set(true);
              }
            },
            fastBackoff());
  }

  private void startSynced() throws IOException {
    startSource();
    await("initial listing done", tracker::initialListingDone);
  }

  private static Backoff fastBackoff() {
    return new Backoff(Duration.ofMillis(50), Duration.ofMillis(200));
  }

  /** Drains the tracker, remembering what the drain reported; returns the snapshot. */
  private ClusterSnapshot drain() {
    PendingChanges pending = tracker.drain();
    drained.addAll(pending.changedServices());
    nodeChanged |= pending.nodeChanged();
    snapshot = pending.snapshot();
    return snapshot;
  }

  private int listRequests(Resource resource) {
    String path = resource == Resource.SERVICES ? "/api/v1/services" : "/apis/discovery.k8s.io/v1/endpointslices";
    return (int) fake.requests().stream().filter(r -> r.startsWith("GET " + path) && r.contains("watch=false")).count();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT + " waiting for: " + what);
      }
      pause();
    }
  }

  private static void assertStaysFor(Duration period, BooleanSupplier condition) {
    long deadline = System.nanoTime() + period.toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(condition.getAsBoolean()).as("condition held throughout").isTrue();
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }


  private static List<Integer> ports(Service service) {
    return service == null ? List.of() : service.ports().stream().map(p -> p.port()).toList();
  }

  private static List<String> addresses(ClusterSnapshot snapshot, NamespacedName service) {
    List<String> result = new ArrayList<>();
    for (EndpointSlice s : snapshot.slices(service)) {
      for (SliceEndpoint e : s.endpoints()) {
        result.add(e.address().toString());
      }
    }
    return result;
  }

  static V1Service service(String name, String clusterIp, int port) {
    return new V1Service()
        .apiVersion("v1")
        .kind("Service")
        .metadata(new V1ObjectMeta().namespace("default").name(name).labels(new HashMap<>()))
        .spec(
            new V1ServiceSpec()
                .type("ClusterIP")
                .clusterIP(clusterIp)
                .clusterIPs(List.of(clusterIp))
                .ports(List.of(new V1ServicePort().name("http").protocol("TCP").port(port))));
  }

  static V1EndpointSlice slice(String name, String service, String address, int port) {
    Map<String, String> labels = new HashMap<>();
    labels.put(EndpointSlice.LABEL_SERVICE_NAME, service);
    return new V1EndpointSlice()
        .apiVersion("discovery.k8s.io/v1")
        .kind("EndpointSlice")
        .metadata(new V1ObjectMeta().namespace("default").name(name).labels(labels))
        .addressType("IPv4")
        .ports(List.of(new DiscoveryV1EndpointPort().name("http").protocol("TCP").port(port)))
        .endpoints(List.of(new V1Endpoint().addresses(List.of(address)).nodeName(NODE)));
  }

  static V1ServiceCIDR serviceCidr(String name, String... cidrs) {
    return new V1ServiceCIDR()
        .apiVersion("networking.k8s.io/v1")
        .kind("ServiceCIDR")
        .metadata(new V1ObjectMeta().name(name))
        .spec(new V1ServiceCIDRSpec().cidrs(List.of(cidrs)));
  }

  static V1Node node(String name, String zone, String address) {
    return new V1Node()
        .apiVersion("v1")
        .kind("Node")
        .metadata(new V1ObjectMeta().name(name).labels(new HashMap<>(Map.of(ZONE, zone))))
        .status(new V1NodeStatus().addresses(List.of(new V1NodeAddress().type("InternalIP").address(address))));
  }
}
