package dev.kubeproxy.bin.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.NamespacedName;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One bad manifest object never costs the others, and no document can exhaust the reader (issue 14). */
class ManifestReliabilityTest {
  private static final NamespacedName GOOD = NamespacedName.of("default", "good");

  @TempDir Path dir;

  private static final String GOOD_DOCS =
      ManifestSourceTest.service("good", "default", "10.96.0.1", 80)
          + "---\n"
          + ManifestSourceTest.slice("good-1", "good", "10.244.1.1");

  private ManifestSnapshot load(String... documents) throws IOException {
    Files.writeString(
        dir.resolve("a.yaml"), GOOD_DOCS + "---\n" + String.join("---\n", documents));
    return new ManifestSource(dir, "node-1").load();
  }

  private static String service(String name, String spec) {
    return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: default}\n"
        + "spec: " + spec + "\n";
  }

  private static String slice(String name, String endpoint, String port) {
    return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
        + "metadata: {name: " + name + ", namespace: default, labels: {kubernetes.io/service-name: good}}\n"
        + "addressType: IPv4\nports: [{name: http, port: " + port + "}]\n"
        + "endpoints: [" + endpoint + "]\n";
  }

  /** Asserts the good objects loaded and the one bad object is the one problem, naming its field. */
  private static void assertOneProblem(ManifestSnapshot snapshot, String object, String field, String message) {
    assertThat(snapshot.services()).containsKey(GOOD);
    assertThat(snapshot.slices()).containsKey(NamespacedName.of("default", "good-1"));
    assertThat(snapshot.problems()).singleElement().satisfies(p -> {
      assertThat(p.object()).isEqualTo(object);
      assertThat(p.field()).isEqualTo(field);
      assertThat(p.message()).contains(message);
      assertThat(p.describe()).doesNotContain("\n");
    });
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "port wraps to 80      | {clusterIP: 10.96.0.9, ports: [{port: 4294967376}]}                         | spec.ports[0].port | does not fit a 32-bit integer",
        "port truncates to 81  | {clusterIP: 10.96.0.9, ports: [{port: 81.9}]}                               | spec.ports[0].port | 81.9 is not an integer",
        "quoted port           | {clusterIP: 10.96.0.9, ports: [{port: '80'}]}                               | spec.ports[0].port | must be an integer, not the string '80'",
        "timeout wraps to 600  | {clusterIP: 10.96.0.9, ports: [{port: 80}], sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 4294967896}}} | spec.sessionAffinityConfig.clientIP.timeoutSeconds | does not fit",
        "Unicode digits        | {clusterIP: '١٠.٩٦.٥.٩', ports: [{port: 80}]}                               | spec.clusterIPs[0] | is not an IP address",
        "loopback externalIP   | {clusterIP: 10.96.0.9, ports: [{port: 80}], externalIPs: [127.0.0.1]}      | spec.externalIPs[0] | loopback",
        "unspecified externalIP| {clusterIP: 10.96.0.9, ports: [{port: 80}], externalIPs: [0.0.0.0]}        | spec.externalIPs[0] | unspecified",
        "clusterIPs [ip, '']   | {clusterIP: 10.96.0.9, clusterIPs: [10.96.0.9, ''], ports: [{port: 80}]}   | spec.clusterIPs[1] | is not an IP address",
        "clusterIPs [ip, None] | {clusterIPs: [10.96.0.9, None], ports: [{port: 80}]}                       | spec.clusterIPs[1] | must be the only",
        "clusterIP mismatch    | {clusterIP: 10.96.0.8, clusterIPs: [10.96.0.9], ports: [{port: 80}]}       | spec.clusterIP | must equal",
        "no ports              | {clusterIP: 10.96.0.9, ports: []}                                           | spec.ports | at least one port",
        "spec null             | null                                                                        | spec | must be set",
        "port name with space  | {clusterIP: 10.96.0.9, ports: [{name: web ui, port: 80}]}                  | spec.ports[0].name | not a DNS-1123 label",
      })
  void badServiceIsOneNamedProblem(String what, String spec, String field, String message) throws IOException {
    assertOneProblem(load(service("bad", spec)), "Service default/bad", field, message);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "port wraps to 8192  | {addresses: [10.244.1.2]}                             | 4294975488 | ports[0].port | does not fit",
        "metadata endpoint   | {addresses: [169.254.169.254]}                        | 8080 | endpoints[0].addresses[0] | link-local",
        "loopback endpoint   | {addresses: [127.0.0.1]}                              | 8080 | endpoints[0].addresses[0] | loopback",
        "ready no            | {addresses: [10.244.1.2], conditions: {ready: 'no'}}  | 8080 | endpoints[0].conditions.ready | must be true or false, not the string 'no'",
      })
  void badSliceIsOneNamedProblem(String what, String endpoint, String port, String field, String message)
      throws IOException {
    assertOneProblem(load(slice("bad", endpoint, port)), "EndpointSlice default/bad", field, message);
  }

  @Test
  @DisplayName("a Node address type typo is named, not a silently dropped family")
  void nodeAddressTypeTypo() throws IOException {
    String node = "apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\n"
        + "status: {addresses: [{type: Internalip, address: 192.0.2.1}]}\n";
    assertOneProblem(load(node), "Node node-1", "status.addresses[0].type", "unknown address type 'Internalip'");
  }

  @Test
  @DisplayName("a known kind under a wrong apiVersion, and a kind one typo away, are problems; other kinds are ignored by rule")
  void wrongApiVersionOrKind() throws IOException {
    ManifestSnapshot snapshot = load(
        "apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\nmetadata: {name: old}\n",
        "apiVersion: v1\nkind: Servce\nmetadata: {name: typo}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n");
    assertThat(snapshot.services()).containsKey(GOOD);
    assertThat(snapshot.problems()).hasSize(2);
    assertThat(snapshot.problems().get(0).field()).isEqualTo("apiVersion");
    assertThat(snapshot.problems().get(0).message()).contains("must be discovery.k8s.io/v1");
    assertThat(snapshot.problems().get(1).field()).isEqualTo("kind");
    assertThat(snapshot.problems().get(1).message()).contains("did you mean Service?");
    assertThat(snapshot.ignored()).singleElement().asString().contains("apps/v1 Deployment");
  }

  @Test
  @DisplayName("a recursive alias is one problem, not a StackOverflowError")
  void recursiveAlias() throws IOException {
    ManifestSnapshot snapshot = load(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: loop\n  labels: &l {self: *l}\n"
            + "spec: {clusterIP: 10.96.0.9, ports: [{port: 80}]}\n");
    assertThat(snapshot.services()).containsOnlyKeys(GOOD);
    assertThat(snapshot.problems()).singleElement().satisfies(p ->
        assertThat(p.message()).contains("recursive alias"));
  }

  /** Nested aliases, {@code levels} deep with {@code fanout} aliases each, in a Service's labels. */
  private static String collectionBomb(int levels, int fanout) {
    StringBuilder b = new StringBuilder(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bomb\n  annotations:\n");
    b.append("    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int level = 1; level <= levels; level++) {
      b.append("    l").append(level).append(": &l").append(level).append(" [");
      for (int i = 0; i < fanout; i++) {
        b.append(i == 0 ? "" : ", ").append("*l").append(level - 1);
      }
      b.append("]\n");
    }
    return b.append("spec: {clusterIP: 10.96.0.9, ports: [{port: 80}]}\n").toString();
  }

  /** One long scalar aliased many times: no collection alias at all. */
  private static String scalarBomb() {
    StringBuilder b = new StringBuilder(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bomb\n  labels:\n    a: &a " + "x".repeat(60_000) + "\n  annotations: {");
    for (int i = 0; i < 20_000; i++) {
      b.append(i == 0 ? "" : ", ").append("k").append(i).append(": *a");
    }
    return b.append("}\nspec: {clusterIP: 10.96.0.9, ports: [{port: 80}]}\n").toString();
  }

  private static String deepNesting() {
    return "apiVersion: v1\nkind: Service\nmetadata: {name: deep, labels: "
        + "[".repeat(5000) + "]".repeat(5000) + "}\nspec: {clusterIP: 10.96.0.9, ports: [{port: 80}]}\n";
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"issue's 532-byte bomb (5 x 9 aliases)", "deeper bomb (9 x 9 aliases)", "scalar bomb", "deep nesting"})
  @DisplayName("bombs are refused within 64 MiB of allocation and 1 s, and the good objects load")
  void bombsAreBounded(String which) throws IOException {
    String document = switch (which.charAt(0) + "" + which.charAt(1)) {
      case "is" -> collectionBomb(5, 9);
      case "de" -> which.startsWith("deeper") ? collectionBomb(9, 9) : deepNesting();
      default -> scalarBomb();
    };
    Files.writeString(dir.resolve("a.yaml"), GOOD_DOCS + "---\n" + document);
    ManifestSource source = new ManifestSource(dir, "node-1");
    source.load(); // warm up classes so that the measured run is the document alone

    Files.writeString(dir.resolve("a.yaml"), GOOD_DOCS + "---\n" + document + "# edited\n");
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
    long start = System.nanoTime();
    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    long allocatedMiB = (threads.getCurrentThreadAllocatedBytes() - allocatedBefore) >> 20;

    assertThat(snapshot.services()).containsOnlyKeys(GOOD);
    assertThat(snapshot.problems()).singleElement().satisfies(p ->
        assertThat(p.message()).startsWith("refused"));
    System.out.printf("%s: refused in %d ms, %d MiB allocated%n", which, millis, allocatedMiB);
    assertThat(millis).isLessThan(1000);
    assertThat(allocatedMiB).isLessThan(64);
  }

  @Test
  @DisplayName("a valid object of the API server's size limit (1.5 MiB) is accepted")
  void largeValidObjectAccepted() throws IOException {
    String big = service("big", "{clusterIP: 10.96.0.9, ports: [{port: 80}]}")
        .replace("namespace: default}", "namespace: default, annotations: {note: " + "y".repeat(1536 * 1024) + "}}");
    ManifestSnapshot snapshot = load(big);
    assertThat(snapshot.problems()).isEmpty();
    assertThat(snapshot.services()).containsKeys(GOOD, NamespacedName.of("default", "big"));
  }

  @Test
  @DisplayName("FIFOs and symlink loops named *.yaml are skipped with a problem, never opened")
  void nonRegularFilesSkipped() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), GOOD_DOCS);
    Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve("fifo.yaml").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    Files.createSymbolicLink(dir.resolve("loop1.yaml"), dir.resolve("loop2.yaml"));
    Files.createSymbolicLink(dir.resolve("loop2.yaml"), dir.resolve("loop1.yaml"));
    Files.createDirectory(dir.resolve("dir.yaml"));

    ManifestSnapshot snapshot = new ManifestSource(dir, "node-1").load();

    assertThat(snapshot.services()).containsOnlyKeys(GOOD);
    assertThat(snapshot.problems()).extracting(p -> p.file().getFileName().toString() + ": " + p.message())
        .containsExactlyInAnyOrder(
            "fifo.yaml: not a regular file (a FIFO, socket or device); not read",
            "loop1.yaml: a symlink loop; not read",
            "loop2.yaml: a symlink loop; not read",
            "dir.yaml: a directory; not read");
  }

  @Test
  @DisplayName("the reload thread survives a recursive alias and applies later edits")
  void watchSurvivesBadDocuments() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), GOOD_DOCS);
    ManifestSource source = new ManifestSource(dir, "node-1");
    dev.kubeproxy.model.ChangeTracker tracker = new dev.kubeproxy.model.ChangeTracker(java.time.Clock.systemUTC());
    source.feed(tracker);
    java.util.concurrent.atomic.AtomicInteger feeds = new java.util.concurrent.atomic.AtomicInteger();
    try (ManifestWatch watch = source.watch(tracker, java.time.Duration.ofMillis(20), feeds::incrementAndGet)) {
      Files.writeString(dir.resolve("b.yaml"),
          "apiVersion: v1\nkind: Service\nmetadata:\n  name: loop\n  labels: &l {self: *l}\n");
      awaitFeeds(feeds, 1);
      Files.writeString(dir.resolve("b.yaml"), ManifestSourceTest.service("later", "default", "10.96.0.2", 80));
      awaitFeeds(feeds, 2);
    }
    assertThat(tracker.drain().snapshot().services()).containsKeys(GOOD, NamespacedName.of("default", "later"));
  }

  private static void awaitFeeds(java.util.concurrent.atomic.AtomicInteger feeds, int count)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (feeds.get() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(feeds.get()).isGreaterThanOrEqualTo(count);
  }
}
