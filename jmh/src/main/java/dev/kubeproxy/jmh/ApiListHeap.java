package dev.kubeproxy.jmh;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kubeproxy.bin.kube.KubernetesSource;
import dev.kubeproxy.model.ChangeTracker;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Measures the smallest Java heap ({@code -Xmx}) with which the binary's API-mode source
 * completes its initial list of workload L (44k Services, each with one EndpointSlice of one
 * endpoint): the parent process serves the objects over HTTP (honouring {@code limit} and
 * {@code continue}, as an etcd-backed API server does) and binary-searches {@code -Xmx} over
 * child JVMs that run {@link KubernetesSource} into a {@link ChangeTracker} until it is synced.
 * Not a JMH benchmark: the quantity is a memory bound, not a time.
 *
 * <pre>
 * java -cp jmh/target/benchmarks.jar dev.kubeproxy.jmh.ApiListHeap [--services 44000] [--live-only]
 * </pre>
 */
public final class ApiListHeap {
  private static final int MIN_MB = 16;
  private static final int MAX_MB = 2048;
  private static final int RESOLUTION_MB = 4;
  private static final long CHILD_SECONDS = 120;

  private ApiListHeap() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("child")) {
      child(args[1]);
      return;
    }
    int services = 44_000;
    boolean liveOnly = false;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--services")) {
        services = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--live-only")) {
        liveOnly = true;
      }
    }
    ListServer server = ListServer.start(services);
    try {
      System.out.printf("workload: %d Services + %d EndpointSlices; list bodies %.1f MiB + %.1f MiB"
              + " unpaged%n", services, services, server.bytes("services") / 1048576.0,
          server.bytes("endpointslices") / 1048576.0);
      if (liveOnly) {
        System.out.println(liveHeap(server.url()));
        return;
      }
      int lo = MIN_MB;
      int hi = MAX_MB;
      if (!fits(server.url(), hi)) {
        throw new IllegalStateException("the initial list does not complete even with -Xmx" + hi + "m");
      }
      while (hi - lo > RESOLUTION_MB) {
        int mid = (lo + hi) / 2;
        if (fits(server.url(), mid)) {
          hi = mid;
        } else {
          lo = mid;
        }
      }
      System.out.printf("smallest -Xmx that completes the initial list: %d MiB (resolution %d MiB);"
          + " list requests served: %s%n", hi, RESOLUTION_MB, server.requests());
      System.out.println(liveHeap(server.url()));
    } finally {
      server.close();
    }
  }

  /** Whether a child JVM with {@code -Xmx<mb>m} completes the initial list. */
  private static boolean fits(String url, int mb) throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Xmx" + mb + "m", "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError", "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
        "-cp", System.getProperty("java.class.path"), ApiListHeap.class.getName(), "child", url)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    boolean done = p.waitFor(CHILD_SECONDS, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
      p.waitFor();
    }
    boolean ok = done && p.exitValue() == 0;
    System.out.printf("  -Xmx%dm: %s%n", mb, ok ? "completed" : done ? "failed (exit " + p.exitValue() + ")" : "timed out");
    return ok;
  }

  /** What a child with ample heap holds once synced (after a full GC): the retained state. */
  private static String liveHeap(String url) throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Xmx" + MAX_MB + "m", "-XX:+UseSerialGC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-Dapilistheap.live=true",
        "-cp", System.getProperty("java.class.path"), ApiListHeap.class.getName(), "child", url)
        .redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(CHILD_SECONDS, TimeUnit.SECONDS);
    return out.lines().filter(l -> l.startsWith("live heap")).findFirst().orElse("live heap: not reported");
  }

  /** The child: lists through the binary's source until the tracker is synced, then exits 0. */
  private static void child(String url) throws Exception {
    ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
    try (KubernetesSource source =
        KubernetesSource.start(KubernetesSource.apiClient(null, url), tracker, "node-0", () -> {})) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_SECONDS);
      while (!source.hasSynced() || !tracker.initialListingDone()) {
        if (System.nanoTime() > deadline) {
          System.exit(2);
        }
        Thread.sleep(20);
      }
      int fed = tracker.drain().snapshot().services().size();
      if (Boolean.getBoolean("apilistheap.live")) {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        System.out.printf("live heap once synced (informer caches + tracker, after a full GC): %d MiB%n",
            (rt.totalMemory() - rt.freeMemory()) >> 20);
        System.out.flush();
      }
      System.exit(fed > 0 ? 0 : 3);
    }
  }

  /** Serves pre-rendered list items with limit/continue; watches stay open and quiet. */
  private static final class ListServer implements AutoCloseable {
    private final Map<String, List<byte[]>> items = new HashMap<>();
    private final Map<String, Integer> requests = new java.util.TreeMap<>();
    private final HttpServer http;

    private ListServer(int services) throws IOException {
      List<byte[]> svc = new ArrayList<>();
      List<byte[]> slices = new ArrayList<>();
      for (int i = 0; i < services; i++) {
        svc.add(service(i).getBytes(StandardCharsets.UTF_8));
        slices.add(slice(i).getBytes(StandardCharsets.UTF_8));
      }
      items.put("services", svc);
      items.put("endpointslices", slices);
      items.put("nodes", List.of());
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      http.setExecutor(Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "list-server");
        t.setDaemon(true);
        return t;
      }));
      http.createContext("/", this::handle);
      http.start();
    }

    static ListServer start(int services) throws IOException {
      return new ListServer(services);
    }

    String url() {
      return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    long bytes(String resource) {
      return items.get(resource).stream().mapToLong(b -> b.length + 1).sum();
    }

    synchronized String requests() {
      return requests.toString();
    }

    private void handle(HttpExchange exchange) throws IOException {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        String resource = path.substring(path.lastIndexOf('/') + 1);
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        List<byte[]> all = items.get(resource);
        if (all == null) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        if ("true".equals(query.get("watch"))) {
          exchange.sendResponseHeaders(200, 0);
          try {
            Thread.sleep(TimeUnit.SECONDS.toMillis(CHILD_SECONDS));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return;
        }
        synchronized (this) {
          requests.merge(resource + (query.containsKey("limit") ? " limit=" + query.get("limit") : " unpaged"),
              1, Integer::sum);
        }
        int from = query.containsKey("continue") ? Integer.parseInt(query.get("continue")) : 0;
        int limit = Integer.parseInt(query.getOrDefault("limit", "0"));
        int to = limit <= 0 ? all.size() : Math.min(all.size(), from + limit);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = new java.io.BufferedOutputStream(exchange.getResponseBody(), 1 << 16);
        String cont = to < all.size() ? ",\"continue\":\"" + to + "\"" : "";
        out.write(("{\"kind\":\"List\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"7\""
            + cont + "},\"items\":[").getBytes(StandardCharsets.UTF_8));
        for (int i = from; i < to; i++) {
          if (i > from) {
            out.write(',');
          }
          out.write(all.get(i));
        }
        out.write("]}".getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    }

    @Override
    public void close() {
      http.stop(0);
    }

    private static Map<String, String> query(String raw) {
      Map<String, String> result = new HashMap<>();
      if (raw != null) {
        for (String pair : raw.split("&")) {
          int eq = pair.indexOf('=');
          if (eq > 0) {
            result.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
          }
        }
      }
      return result;
    }
  }

  /** A Service as the API server returns it, managed fields included (kube-proxy gets them too). */
  private static String service(int i) {
    String ip = "10.96." + ((i + 256) >> 8 & 255) + "." + ((i + 256) & 255);
    String ns = "ns-" + i / 1000;
    return "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"svc-" + i
        + "\",\"namespace\":\"" + ns + "\",\"uid\":\"" + uid(i, 1) + "\",\"resourceVersion\":\"" + (1000 + i)
        + "\",\"creationTimestamp\":\"2026-11-01T10:00:00Z\",\"labels\":{\"app\":\"svc-" + i + "\"},"
        + "\"managedFields\":[{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
        + "\"apiVersion\":\"v1\",\"time\":\"2026-11-01T10:00:00Z\",\"fieldsType\":\"FieldsV1\","
        + "\"fieldsV1\":{\"f:spec\":{\"f:ports\":{\".\":{},\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":"
        + "{\".\":{},\"f:name\":{},\"f:port\":{},\"f:protocol\":{},\"f:targetPort\":{}}},\"f:selector\":{},"
        + "\"f:sessionAffinity\":{},\"f:type\":{}}}}]},"
        + "\"spec\":{\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":80,\"targetPort\":8080}],"
        + "\"selector\":{\"app\":\"svc-" + i + "\"},\"clusterIP\":\"" + ip + "\",\"clusterIPs\":[\"" + ip
        + "\"],\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\",\"ipFamilies\":[\"IPv4\"],"
        + "\"ipFamilyPolicy\":\"SingleStack\",\"internalTrafficPolicy\":\"Cluster\"},"
        + "\"status\":{\"loadBalancer\":{}}}";
  }

  /** The one EndpointSlice of service {@code i}, with its one ready endpoint. */
  private static String slice(int i) {
    String ns = "ns-" + i / 1000;
    String ip = "10.244." + (i >> 8 & 255) + "." + (i & 255);
    return "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"svc-" + i
        + "-x7k2p\",\"generateName\":\"svc-" + i + "-\",\"namespace\":\"" + ns + "\",\"uid\":\"" + uid(i, 2)
        + "\",\"resourceVersion\":\"" + (100000 + i) + "\",\"creationTimestamp\":\"2026-11-01T10:00:01Z\","
        + "\"labels\":{\"endpointslice.kubernetes.io/managed-by\":\"endpointslice-controller.k8s.io\","
        + "\"kubernetes.io/service-name\":\"svc-" + i + "\"},\"ownerReferences\":[{\"apiVersion\":\"v1\","
        + "\"kind\":\"Service\",\"name\":\"svc-" + i + "\",\"uid\":\"" + uid(i, 1)
        + "\",\"controller\":true,\"blockOwnerDeletion\":true}]},\"addressType\":\"IPv4\","
        + "\"endpoints\":[{\"addresses\":[\"" + ip + "\"],\"conditions\":{\"ready\":true,\"serving\":true,"
        + "\"terminating\":false},\"nodeName\":\"node-" + i % 500 + "\",\"zone\":\"zone-" + i % 3
        + "\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"" + ns + "\",\"name\":\"svc-" + i + "-6d4cf56db6-abcde\","
        + "\"uid\":\"" + uid(i, 3) + "\"}}],\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":8080}]}";
  }

  private static String uid(int i, int kind) {
    return String.format("%08x-%04x-4000-8000-%012x", i, kind, (long) i * 2654435761L & 0xffffffffffffL);
  }
}
