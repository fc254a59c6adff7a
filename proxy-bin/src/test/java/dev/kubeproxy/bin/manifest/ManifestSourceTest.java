package dev.kubeproxy.bin.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;

import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.model.ChangeTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;

class ManifestSourceTest {
  private static final NamespacedName WEB = NamespacedName.of("default", "web");
  private static final NamespacedName WEB_SLICE = NamespacedName.of("default", "web-1");

  @TempDir Path dir;

  static String service(String name, String namespace, String clusterIp, int port) {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: %s
        %s
        spec:
          clusterIP: %s
          ports:
            - name: http
              port: %d
              targetPort: http
        """
        .formatted(name, namespace == null ? "" : "  namespace: " + namespace, clusterIp, port);
  }

  static String slice(String name, String service, String address) {
    return """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: %s
          labels:
            kubernetes.io/service-name: %s
        addressType: IPv4
        ports:
          - name: http
            port: 8080
        endpoints:
          - addresses: ["%s"]
            nodeName: node-1
        """
        .formatted(name, service, address);
  }

  static String node(String name, String ip) {
    return """
        apiVersion: v1
        kind: Node
        metadata:
          name: %s
        status:
          addresses:
            - type: InternalIP
              address: %s
        """
        .formatted(name, ip);
  }

  private void write(String file, String... documents) throws IOException {
    Files.writeString(dir.resolve(file), String.join("---\n", documents));
  }

  @Test
  @DisplayName("multi-document files with mixed kinds: Services, slices and Nodes load, other kinds are ignored")
  void loadsMixedKinds() throws IOException {
    write(
        "a.yaml",
        service("web", "default", "10.96.0.1", 80),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n",
        slice("web-1", "web", "10.244.1.1"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 1\n");
    write("b.yml", node("node-1", "192.0.2.1"), node("node-2", "192.0.2.2"));
    Files.writeString(dir.resolve("notes.txt"), "not: [a manifest");

    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();

    assertThat(snapshot.problems()).isEmpty();
    assertThat(snapshot.ignored()).hasSize(2);
    assertThat(snapshot.ignored().get(0)).contains("ConfigMap");
    assertThat(snapshot.services().keySet()).containsExactly(WEB);
    assertThat(snapshot.services().get(WEB).clusterIps()).containsExactly(IpAddress.parse("10.96.0.1"));
    assertThat(snapshot.slices().keySet()).containsExactly(WEB_SLICE);
    assertThat(snapshot.slices().get(WEB_SLICE).serviceId()).isEqualTo(WEB);
    assertThat(snapshot.nodes().keySet()).containsExactly("node-1", "node-2");
  }

  @Test
  @DisplayName("objects without a namespace go to default, as kubectl applies them")
  void defaultNamespace() throws IOException {
    write("a.yaml", service("web", null, "10.96.0.1", 80), slice("web-1", "web", "10.244.1.1"));

    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();

    assertThat(snapshot.services()).containsKey(WEB);
    assertThat(snapshot.slices()).containsKey(WEB_SLICE);
  }

  @Test
  @DisplayName("a v1 List's items are loaded like separate documents")
  void listKind() throws IOException {
    write(
        "list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n"
            + indent(service("web", "default", "10.96.0.1", 80))
            + indent(slice("web-1", "web", "10.244.1.1")));

    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();

    assertThat(snapshot.problems()).isEmpty();
    assertThat(snapshot.services()).containsKey(WEB);
    assertThat(snapshot.slices()).containsKey(WEB_SLICE);
  }

  private static String indent(String document) {
    return "  - " + document.strip().replace("\n", "\n    ") + "\n";
  }

  static String serviceCidr(String name, String... cidrs) {
    return """
        apiVersion: networking.k8s.io/v1
        kind: ServiceCIDR
        metadata:
          name: %s
        spec:
          cidrs: [%s]
        """
        .formatted(name, String.join(", ", cidrs));
  }

  @Test
  @DisplayName("ServiceCIDRs load and feed the tracker; an invalid one is one problem naming object and field and keeps what was fed; a vanished one is deleted")
  void serviceCidrs() throws IOException {
    write("cidrs.yaml", serviceCidr("kubernetes", "10.96.0.0/16", "fd00:10:96::/112"),
        serviceCidr("extra", "10.100.0.0/24"));
    ManifestSource source = new ManifestSource(dir, "node-1");
    ChangeTracker tracker = new ChangeTracker(java.time.Clock.systemUTC());
    ManifestSnapshot first = source.feed(tracker);
    assertThat(first.problems()).isEmpty();
    assertThat(first.serviceCidrs().keySet()).containsExactly("kubernetes", "extra");
    assertThat(tracker.serviceCidrs()).containsExactly(
        Cidr.parse("10.96.0.0/16"), Cidr.parse("10.100.0.0/24"), Cidr.parse("fd00:10:96::/112"));
    assertThat(ObjectOutcomes.of(first, "node-1").programmed()).isEqualTo(2);

    write("cidrs.yaml", serviceCidr("kubernetes", "10.96.0.0/16", "fd00:10:96::/112"),
        serviceCidr("extra", "10.100.0.1/24"),
        "apiVersion: networking.k8s.io/v1beta1\nkind: ServiceCIDR\nmetadata: {name: old}\nspec: {cidrs: [10.0.0.0/8]}\n");
    ManifestSnapshot second = source.feed(tracker);
    assertThat(second.problems()).hasSize(2);
    assertThat(second.problems().get(0).object()).isEqualTo("ServiceCIDR extra");
    assertThat(second.problems().get(0).field()).isEqualTo("spec.cidrs[0]");
    assertThat(second.problems().get(0).message()).contains("canonical form 10.100.0.0/24");
    assertThat(second.problems().get(1).field()).isEqualTo("apiVersion");
    assertThat(tracker.serviceCidrs()).as("the rejected update keeps the fed version")
        .contains(Cidr.parse("10.100.0.0/24"));

    write("cidrs.yaml", serviceCidr("kubernetes", "10.96.0.0/16"));
    source.feed(tracker);
    assertThat(tracker.serviceCidrs()).containsExactly(Cidr.parse("10.96.0.0/16"));
  }

  @Test
  @DisplayName("broken YAML, an invalid field and an unknown field are each one problem naming file, object and field; the rest loads")
  void badDocumentsAreSkipped() throws IOException {
    write(
        "a.yaml",
        service("good", "default", "10.96.0.1", 80),
        "apiVersion: v1\nkind: Service\nmetadata: {name: [broken\n",
        service("badip", "default", "10.96.0.300", 80),
        service("badport", "default", "10.96.0.4", 70000),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\n  namespace: default\nspec:\n  clusterIp: 10.96.0.5\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: nan}\nspec: {clusterIP: 10.96.0.6, ports: [{port: abc}]}\n",
        slice("good-1", "good", "10.244.1.1"));

    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();

    assertThat(snapshot.services().keySet()).containsExactly(NamespacedName.of("default", "good"));
    assertThat(snapshot.slices().keySet()).containsExactly(NamespacedName.of("default", "good-1"));
    Path file = dir.resolve("a.yaml");
    assertThat(snapshot.problems()).hasSize(5).allMatch(p -> p.file().equals(file));
    assertThat(snapshot.problems().get(0).object()).isEqualTo("document 2 (line 13)");
    assertThat(snapshot.problems().get(0).message()).startsWith("not valid YAML");
    assertThat(snapshot.problems().get(1).object()).isEqualTo("Service default/badip");
    assertThat(snapshot.problems().get(1).field()).isEqualTo("spec.clusterIPs[0]");
    assertThat(snapshot.problems().get(2).object()).isEqualTo("Service default/badport");
    assertThat(snapshot.problems().get(2).field()).isEqualTo("spec.ports[0].port");
    assertThat(snapshot.problems().get(3).object()).isEqualTo("Service default/typo");
    assertThat(snapshot.problems().get(3).describe()).contains("clusterIp");
    assertThat(snapshot.problems().get(4).object()).isEqualTo("Service default/nan");
    assertThat(snapshot.problems().get(4).message()).contains("must be an integer").contains("abc");
    assertThat(snapshot.problems().get(4).field()).isEqualTo("spec.ports[0].port");
    assertThat(snapshot.problems().get(1).describe())
        .isEqualTo(file + ": Service default/badip: spec.clusterIPs[0]: '10.96.0.300' is not an IP address");
    assertThat(snapshot.rejectedServices())
        .containsExactlyInAnyOrder(
            NamespacedName.of("default", "badip"),
            NamespacedName.of("default", "badport"),
            NamespacedName.of("default", "typo"),
            NamespacedName.of("default", "nan"));
  }

  @Test
  @DisplayName("a second definition of the same object is a problem; the first one wins")
  void duplicates() throws IOException {
    write("a.yaml", service("web", "default", "10.96.0.1", 80));
    write("b.yaml", service("web", "default", "10.96.0.2", 80));

    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();

    assertThat(snapshot.services().get(WEB).clusterIps()).containsExactly(IpAddress.parse("10.96.0.1"));
    assertThat(snapshot.problems()).singleElement().satisfies(p -> {
      assertThat(p.file()).isEqualTo(dir.resolve("b.yaml"));
      assertThat(p.message()).contains("duplicate").contains("a.yaml");
    });
  }

  @Test
  @DisplayName("a file of many documents (parsed in batches on several threads) reads as one by one: order of problems, first definition wins, numbering")
  void largeFileReadsInDocumentOrder() throws IOException {
    int count = 3 * ManifestReader.BATCH_DOCUMENTS + 7;
    List<String> documents = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      documents.add(i % 100 == 99
          ? service("svc-" + (i - 50), "default", "10.96.1." + (i % 250), 80)   // a duplicate
          : i % 100 == 42
              ? "apiVersion: v1\nkind: Service\nmetadata: {name: [broken\n"
              : service("svc-" + i, "default", "10.96.0." + (i % 250), 80));
    }
    write("a.yaml", documents.toArray(String[]::new));

    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();

    List<String> expected = new ArrayList<>();
    int services = 0;
    for (int i = 0; i < count; i++) {
      if (i % 100 == 99) {
        expected.add("Service default/svc-" + (i - 50) + " duplicate");
      } else if (i % 100 == 42) {
        expected.add("document " + (i + 1) + " not valid YAML");
      } else {
        services++;
      }
    }
    assertThat(snapshot.problems())
        .extracting(p -> p.object().replaceAll(" \\(line \\d+\\)", "") + " "
            + p.message().replaceAll("^(duplicate|not valid YAML).*", "$1"))
        .containsExactlyElementsOf(expected);
    assertThat(snapshot.services()).hasSize(services);
    // The first definition of svc-49 (document 50) wins over its duplicate (document 100).
    assertThat(snapshot.services().get(NamespacedName.of("default", "svc-49")).clusterIps())
        .containsExactly(IpAddress.parse("10.96.0.49"));
  }

  @Test
  @DisplayName("loading an unchanged directory again returns the same read (problems are not logged twice); an edit is re-read")
  void loadCachesUntilChange() throws IOException {
    write("a.yaml", service("web", "default", "10.96.0.1", 80));
    ManifestSource source = new ManifestSource(dir, "node-1");

    ManifestSnapshot first = source.load();
    assertThat(source.load()).isSameAs(first);
    write("a.yaml", service("web", "default", "10.96.0.1", 8080));
    assertThat(source.load().services().get(WEB).ports().get(0).port()).isEqualTo(8080);
  }

  @Test
  @DisplayName("first feed: every object upserted, this node's Node set, then both sources marked synced")
  void firstFeed() throws IOException {
    write("a.yaml", service("web", "default", "10.96.0.1", 80), slice("web-1", "web", "10.244.1.1"));
    write("n.yaml", node("node-1", "192.0.2.1"), node("node-2", "192.0.2.2"));
    ChangeTracker tracker = mock(ChangeTracker.class);

    new ManifestSource(dir, "node-1").feed(tracker);

    InOrder order = inOrder(tracker);
    order.verify(tracker).upsertServices(argThat(l -> l.size() == 1 && l.iterator().next().id().equals(WEB)));
    order.verify(tracker).upsertEndpointSlices(
        argThat(l -> l.size() == 1 && l.iterator().next().id().equals(WEB_SLICE)));
    order.verify(tracker).updateNode(argThat(n -> n.name().equals("node-1")));
    order.verify(tracker).markServicesSynced();
    order.verify(tracker).markEndpointSlicesSynced();
    verifyNoMoreInteractions(tracker);
  }

  @Test
  @DisplayName("the node view (a --bind-address replacing the primary IP) applies to the Node the tracker gets")
  void nodeView() throws IOException {
    write("n.yaml", node("node-1", "192.0.2.1"));
    ChangeTracker tracker = mock(ChangeTracker.class);
    dev.kubeproxy.api.IpAddress bind = dev.kubeproxy.api.IpAddress.parse("192.0.2.99");

    new ManifestSource(dir, "node-1", n -> n == null ? null : new dev.kubeproxy.api.Node(
        n.name(), com.google.common.collect.ImmutableList.of(bind), n.labels(), n.podCidrs()))
        .feed(tracker);

    verify(tracker).updateNode(argThat(n -> n.addresses().equals(java.util.List.of(bind))));
  }

  @Test
  @DisplayName("later feeds send only the difference: changed objects upserted, vanished ones deleted, no re-sync mark")
  void feedSendsDifference() throws IOException {
    write("a.yaml", service("web", "default", "10.96.0.1", 80), slice("web-1", "web", "10.244.1.1"));
    write("b.yaml", service("api", "default", "10.96.0.2", 80), slice("api-1", "api", "10.244.1.2"));
    write("n.yaml", node("node-1", "192.0.2.1"));
    ManifestSource source = new ManifestSource(dir, "node-1");
    source.feed(mock(ChangeTracker.class));
    ChangeTracker tracker = mock(ChangeTracker.class);

    write("a.yaml", service("web", "default", "10.96.0.1", 81), slice("web-1", "web", "10.244.1.1"));
    Files.delete(dir.resolve("b.yaml"));
    Files.delete(dir.resolve("n.yaml"));
    source.feed(tracker);

    verify(tracker).upsertServices(argThat(l -> l.size() == 1 && l.iterator().next().id().equals(WEB)
        && l.iterator().next().ports().get(0).port() == 81));
    verify(tracker).deleteService(NamespacedName.of("default", "api"));
    verify(tracker).deleteEndpointSlice(NamespacedName.of("default", "api-1"));
    verify(tracker).updateNode(null);
    verifyNoMoreInteractions(tracker);
  }

  @Test
  @DisplayName("an edit that makes an object invalid keeps its previous version (no delete), as the API server would")
  void invalidEditKeepsPrevious() throws IOException {
    write("a.yaml", service("web", "default", "10.96.0.1", 80));
    ManifestSource source = new ManifestSource(dir, "node-1");
    source.feed(mock(ChangeTracker.class));
    ChangeTracker tracker = mock(ChangeTracker.class);

    write("a.yaml", service("web", "default", "10.96.0.1", 0));
    ManifestSnapshot snapshot = source.feed(tracker);

    assertThat(snapshot.problems()).singleElement().satisfies(p -> assertThat(p.field()).isEqualTo("spec.ports[0].port"));
    verify(tracker, never()).deleteService(any());
    verify(tracker, never()).upsertServices(any());
  }

  @Test
  @DisplayName("watch re-feeds the tracker after a file is edited and then runs the after-feed hook; close stops it")
  void watchRefeeds() throws Exception {
    write("a.yaml", service("web", "default", "10.96.0.1", 80));
    ManifestSource source = new ManifestSource(dir, "node-1");
    // A real tracker: calls made on the watch thread are then observed through its snapshot.
    ChangeTracker tracker = new ChangeTracker(java.time.Clock.systemUTC());
    source.feed(tracker);
    tracker.drain();
    CountDownLatch fed = new CountDownLatch(1);

    try (ManifestWatch watch = source.watch(tracker, Duration.ofMillis(20), fed::countDown)) {
      write("a.yaml", service("web", "default", "10.96.0.1", 8080));
      assertThat(fed.await(15, TimeUnit.SECONDS)).isTrue();
      assertThat(webPort(tracker.drain())).isEqualTo(8080);
    }
    write("a.yaml", service("web", "default", "10.96.0.1", 9090));
    Thread.sleep(200);
    assertThat(tracker.hasPendingChanges()).as("no feed after close").isFalse();
  }

  private static int webPort(dev.kubeproxy.model.PendingChanges changes) {
    return changes.snapshot().service(NamespacedName.of("default", "web")).ports().get(0).port();
  }


  @Test
  @DisplayName("files are read in parallel but merged in name order: the first definition wins,"
      + " across files and within one, and each later one is a problem naming where the first is")
  void firstDefinitionWinsAcrossFiles() throws IOException {
    // Several files so that the parallel read really splits them; names sort a, b, c, d.
    Files.writeString(dir.resolve("a.yaml"), service("web", "default", "10.96.0.1", 80));
    Files.writeString(dir.resolve("b.yaml"), service("web", "default", "10.96.0.2", 80)
        + "---\n" + service("api", "default", "10.96.0.3", 80));
    Files.writeString(dir.resolve("c.yaml"), service("api", "default", "10.96.0.4", 80)
        + "---\n" + slice("web-1", "web", "10.244.1.1"));
    Files.writeString(dir.resolve("d.yaml"), slice("web-1", "web", "10.244.1.2")
        + "---\n" + slice("web-1", "web", "10.244.1.3"));

    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();

    assertThat(snapshot.services().get(NamespacedName.of("default", "web")).clusterIps())
        .containsExactly(IpAddress.parse("10.96.0.1"));
    assertThat(snapshot.services().get(NamespacedName.of("default", "api")).clusterIps())
        .containsExactly(IpAddress.parse("10.96.0.3"));
    assertThat(snapshot.slices().get(NamespacedName.of("default", "web-1")).endpoints().get(0)
        .address()).isEqualTo(IpAddress.parse("10.244.1.1"));
    assertThat(snapshot.problems()).extracting(ManifestProblem::describe).satisfiesExactly(
        p -> assertThat(p).isEqualTo(duplicate("b.yaml", "Service default/web", "a.yaml document 1 (line 1)")),
        p -> assertThat(p).startsWith(duplicate("c.yaml", "Service default/api", "b.yaml document 2")),
        p -> assertThat(p).startsWith(duplicate("d.yaml", "EndpointSlice default/web-1", "c.yaml document 2")),
        p -> assertThat(p).startsWith(duplicate("d.yaml", "EndpointSlice default/web-1", "c.yaml document 2")));
  }

  /** A duplicate's problem line, up to where the first definition is. */
  private String duplicate(String file, String object, String first) {
    return dir.resolve(file) + ": " + object + ": metadata.name: duplicate; first defined in "
        + dir.resolve(first);
  }
}
