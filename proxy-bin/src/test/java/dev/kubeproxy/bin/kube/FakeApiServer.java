package dev.kubeproxy.bin.kube;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.JSON;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An in-process stand-in for the Kubernetes API server, enough of it for a proxy's informers:
 * list and watch of Services, discovery.k8s.io/v1 EndpointSlices and Nodes (cluster-wide
 * paths only), with one global resourceVersion that every change bumps.
 *
 * <ul>
 *   <li>{@code GET <path>} lists the current objects with the list's resourceVersion (whatever
 *       resourceVersion the request names: the current state is always fresh enough). With
 *       {@code limit=N} it answers the first N and a {@code continue} token; a request with that
 *       token gets the next page of the same snapshot (as etcd serves one), until a page without
 *       a token. {@link #expireContinueTokens()} makes the tokens issued so far answer 410
 *       Expired, as a real server does once the snapshot's revision was compacted.
 *   <li>{@code GET <path>?watch=true&resourceVersion=N} streams newline-delimited watch events
 *       (chunked) for every change after N; N older than the last {@link #compact()} gets one
 *       ERROR event carrying a 410 Gone Status, as a real server does; N empty or {@code 0}
 *       starts with a synthetic ADDED per current object. {@code allowWatchBookmarks=true}
 *       adds a BOOKMARK with the current resourceVersion whenever the watch has been quiet for
 *       {@link #bookmarkInterval}; {@code timeoutSeconds} ends the stream after that long.
 *   <li>{@code labelSelector} (comma-separated {@code key}, {@code !key}, {@code key=value},
 *       {@code key!=value}; no set-based forms) and {@code fieldSelector}
 *       ({@code metadata.name} and {@code metadata.namespace}, {@code =} or {@code !=}) filter
 *       lists and watches; a change that moves an object into or out of a watch's selection
 *       arrives as ADDED or DELETED, as a real server sends it.
 * </ul>
 *
 * <p>{@link #stop()} drops the listener and every connection but keeps the objects and the
 * history, so changes made while stopped are streamed to watches resumed after {@link
 * #restart()} (on the same port) unless {@link #compact()} forgot them.
 *
 * <p>A test class gets a fresh one per test from an instance {@code @RegisterExtension} field
 * holding {@link #perTest()}: JUnit starts it before the test's set-up and closes it after the
 * test's tear-down, also when the test failed.
 */
public final class FakeApiServer implements AutoCloseable, BeforeEachCallback, AfterEachCallback {

  /** The served resources. */
  public enum Resource {
    SERVICES("/api/v1/services", "v1", "Service", true),
    ENDPOINT_SLICES("/apis/discovery.k8s.io/v1/endpointslices", "discovery.k8s.io/v1", "EndpointSlice", true),
    NODES("/api/v1/nodes", "v1", "Node", false),
    SERVICE_CIDRS("/apis/networking.k8s.io/v1/servicecidrs", "networking.k8s.io/v1", "ServiceCIDR", false);

    final String path;
    final String apiVersion;
    final String kind;
    final boolean namespaced;

    Resource(String path, String apiVersion, String kind, boolean namespaced) {
      this.path = path;
      this.apiVersion = apiVersion;
      this.kind = kind;
      this.namespaced = namespaced;
    }

    static Resource ofKind(String kind) {
      for (Resource r : values()) {
        if (r.kind.equals(kind)) {
          return r;
        }
      }
      throw new IllegalArgumentException("the fake API server does not serve kind " + kind);
    }
  }

  private static final String POISON = "";
  

  private final Object lock = new Object();
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "fake-api-server");
            t.setDaemon(true);
            return t;
          });
  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
  private final List<String> requests = new ArrayList<>();
  private final List<JsonObject> events = new ArrayList<>();
  private final Map<Resource, CountDownLatch> heldLists = new ConcurrentHashMap<>();

  // Guarded by lock.
  private final Map<Resource, TreeMap<String, JsonObject>> objects = new EnumMap<>(Resource.class);
  private final List<Change> history = new ArrayList<>();
  private long resourceVersion = 1;
  private long compactedAt = 1;
  private int goneSent;
  // Continue token id -> the selected objects of the list that issued it (a snapshot).
  private final Map<String, List<JsonObject>> snapshots = new HashMap<>();
  private long snapshotIds;
  private HttpServer server;
  private int port;

  private volatile Duration bookmarkInterval = Duration.ofMillis(500);
  private volatile boolean holdingWatchEvents;
  private volatile boolean expireNextContinue;

  private FakeApiServer() {
    for (Resource r : Resource.values()) {
      objects.put(r, new TreeMap<>());
    }
  }

  /** Starts a server on 127.0.0.1 at a free port. */
  public static FakeApiServer start() throws IOException {
    FakeApiServer fake = new FakeApiServer();
    synchronized (fake.lock) {
      fake.bind(0);
    }
    return fake;
  }

  /** A server that listens from JUnit's before-each on; see the class comment. */
  public static FakeApiServer perTest() {
    return new FakeApiServer();
  }

  /** Starts a {@link #perTest()} server on 127.0.0.1 at a free port. */
  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    synchronized (lock) {
      checkState(server == null && !pool.isShutdown(),
          "a per-test server serves one test: hold it in an instance field, not a static one");
      bind(0);
    }
  }

  /** Closes a {@link #perTest()} server after the test's own tear-down. */
  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234}; stable across restarts. */
  public String url() {
    synchronized (lock) {
      return "http://127.0.0.1:" + port;
    }
  }

  /** How long a watch that asked for bookmarks may be quiet before it gets one; returns this. */
  public FakeApiServer bookmarkInterval(Duration interval) {
    checkArgument(!interval.isNegative() && !interval.isZero(), "interval must be positive");
    this.bookmarkInterval = interval;
    return this;
  }

  /** Creates or replaces an object of the client's model (V1Service, V1EndpointSlice, V1Node). */
  public long apply(KubernetesObject object) {
    return applyJson(JSON.serialize(object));
  }

  /**
   * Creates or replaces the object in {@code json} (its kind picks the resource; a missing kind
   * is an error), stamping it with a new resourceVersion. Returns that version.
   */
  public long applyJson(String json) {
    JsonObject object = JsonParser.parseString(json).getAsJsonObject();
    checkArgument(object.has("kind"), "the object has no kind: %s", json);
    Resource resource = Resource.ofKind(object.get("kind").getAsString());
    if (!object.has("apiVersion")) {
      object.addProperty("apiVersion", resource.apiVersion);
    }
    String key = key(resource, object);
    synchronized (lock) {
      resourceVersion++;
      metadata(object).addProperty("resourceVersion", Long.toString(resourceVersion));
      JsonObject before = objects.get(resource).put(key, object);
      record(new Change(resourceVersion, resource, before, object, false));
      return resourceVersion;
    }
  }

  /** Deletes an object; returns whether it existed (deleting nothing bumps no version). */
  public boolean delete(Resource resource, String namespace, String name) {
    String key = resource.namespaced ? namespace + "/" + name : name;
    synchronized (lock) {
      JsonObject before = objects.get(resource).remove(key);
      if (before == null) {
        return false;
      }
      resourceVersion++;
      // A deletion event carries the object's last state stamped with the deletion's version.
      JsonObject gone = before.deepCopy();
      metadata(gone).addProperty("resourceVersion", Long.toString(resourceVersion));
      record(new Change(resourceVersion, resource, before, gone, true));
      return true;
    }
  }

  /** The current global resourceVersion. */
  public long resourceVersion() {
    synchronized (lock) {
      return resourceVersion;
    }
  }

  /** Forgets the change history: a watch resuming from before now gets 410 Gone. */
  public void compact() {
    synchronized (lock) {
      history.clear();
      compactedAt = resourceVersion;
    }
  }

  /** Makes the next request with a continue token answer 410 Expired (and forget every snapshot). */
  public void expireNextContinueToken() {
    expireNextContinue = true;
  }

  /** Makes every continue token issued so far answer 410 Expired. */
  public void expireContinueTokens() {
    synchronized (lock) {
      snapshots.clear();
    }
  }

  /** How many 410 Gone watch errors were sent so far. */
  public int goneSent() {
    synchronized (lock) {
      return goneSent;
    }
  }

  /** Every request so far as {@code METHOD path?decoded-query}, oldest first. */
  /** The events.k8s.io/v1 Events POSTed so far, in order. */
  public List<JsonObject> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  public List<String> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /** How many watches of {@code resource} are streaming now. */
  public int openWatches(Resource resource) {
    return (int) watchers.stream().filter(w -> w.resource == resource).count();
  }

  /** Makes lists of {@code resource} wait until {@link #releaseLists} (watches are unaffected). */
  public void holdLists(Resource resource) {
    heldLists.putIfAbsent(resource, new CountDownLatch(1));
  }

  /** Lets held and future lists of {@code resource} answer. */
  public void releaseLists(Resource resource) {
    CountDownLatch latch = heldLists.remove(resource);
    if (latch != null) {
      latch.countDown();
    }
  }

  /**
   * Stops streaming changes to the open watches (a watch falling behind); {@link #dropWatches}
   * ends them. Changes still enter the history, so resumed watches see them unless compacted.
   */
  public void holdWatchEvents() {
    holdingWatchEvents = true;
  }

  /** Ends every open watch cleanly (the client resumes from its last version) and releases held events. */
  public void dropWatches() {
    synchronized (lock) {
      holdingWatchEvents = false;
      watchers.forEach(w -> w.queue.add(POISON));
    }
  }

  /** Closes the listener and every connection, as a crashed API server would; keeps the state. */
  public void stop() {
    synchronized (lock) {
      checkState(server != null, "not running");
      server.stop(0);
      server = null;
    }
    watchers.forEach(w -> w.queue.add(POISON));
  }

  /**
   * Ends every open watch cleanly, as an API server shutting down gracefully does, then stops
   * as {@link #stop()}; clients then resume their watches from their last version.
   */
  public void shutDown() throws InterruptedException {
    HttpServer stopping;
    synchronized (lock) {
      checkState(server != null, "not running");
      stopping = server;
      server = null;
    }
    // HttpServer.stop refuses new exchanges at once, then waits for the running ones to end.
    Thread stopper = new Thread(() -> stopping.stop(2), "fake-api-server-shutdown");
    stopper.start();
    while (stopper.isAlive()) {
      watchers.forEach(w -> w.queue.add(POISON));
      stopper.join(20);
    }
  }

  /** Listens again on the same port. */
  public void restart() throws IOException {
    synchronized (lock) {
      checkState(server == null, "already running");
      bind(port);
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (server != null) {
        server.stop(0);
        server = null;
      }
    }
    watchers.forEach(w -> w.queue.add(POISON));
    heldLists.keySet().forEach(this::releaseLists);
    pool.shutdownNow();
  }

  private void bind(int wanted) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      try {
        HttpServer s =
            HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted), 0);
        s.setExecutor(pool);
        s.createContext("/", this::handle);
        s.start();
        server = s;
        port = s.getAddress().getPort();
        return;
      } catch (BindException e) {
        // The old listener's port may take a moment to become free again.
        if (System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      String path = exchange.getRequestURI().getPath();
      synchronized (requests) {
        requests.add(exchange.getRequestMethod() + " " + path + (query.isEmpty() ? "" : "?" + query));
      }
      if (exchange.getRequestMethod().equals("POST")
          && path.matches("/apis/events\\.k8s\\.io/v1/namespaces/[^/]+/events")) {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        synchronized (events) {
          events.add(JsonParser.parseString(body).getAsJsonObject());
        }
        respond(exchange, 201, body);
        return;
      }
      Resource resource = null;
      for (Resource r : Resource.values()) {
        if (r.path.equals(path)) {
          resource = r;
        }
      }
      if (resource == null || !exchange.getRequestMethod().equals("GET")) {
        respond(exchange, 404, status(404, "NotFound", "the fake API server does not serve " + path));
        return;
      }
      Predicate<JsonObject> selector;
      try {
        selector =
            labelSelector(query.getOrDefault("labelSelector", ""))
                .and(fieldSelector(query.getOrDefault("fieldSelector", "")));
      } catch (IllegalArgumentException e) {
        respond(exchange, 400, status(400, "BadRequest", e.getMessage()));
        return;
      }
      String watch = query.getOrDefault("watch", "false");
      if (watch.equals("true") || watch.equals("1")) {
        watch(exchange, resource, selector, query);
      } else {
        list(exchange, resource, selector, query);
      }
    }
  }

  private void list(
      HttpExchange exchange, Resource resource, Predicate<JsonObject> selector, Map<String, String> query)
      throws IOException {
    CountDownLatch held = heldLists.get(resource);
    if (held != null) {
      try {
        held.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    int limit;
    try {
      limit = Integer.parseInt(query.getOrDefault("limit", "0"));
    } catch (NumberFormatException e) {
      respond(exchange, 400, status(400, "BadRequest", "bad limit: " + query.get("limit")));
      return;
    }
    String token = query.getOrDefault("continue", "");
    if (!token.isEmpty() && !query.getOrDefault("resourceVersion", "").isEmpty()) {
      respond(exchange, 400, status(400, "BadRequest", "specifying resource version is not allowed when using continue"));
      return;
    }
    JsonObject list = new JsonObject();
    list.addProperty("kind", resource.kind + "List");
    list.addProperty("apiVersion", resource.apiVersion);
    JsonArray items = new JsonArray();
    JsonObject meta = new JsonObject();
    synchronized (lock) {
      List<JsonObject> selected;
      int from;
      String id;
      if (token.isEmpty()) {
        selected = objects.get(resource).values().stream().filter(selector).toList();
        from = 0;
        id = Long.toString(++snapshotIds);
      } else {
        int colon = token.indexOf(':');
        id = colon < 0 ? token : token.substring(0, colon);
        if (expireNextContinue) {
          expireNextContinue = false;
          snapshots.clear();
        }
        selected = snapshots.get(id);
        if (selected == null || colon < 0) {
          respond(exchange, 410, status(410, "Expired",
              "The provided continue parameter is too old to display a consistent list result."));
          return;
        }
        from = Integer.parseInt(token.substring(colon + 1));
      }
      int to = limit <= 0 ? selected.size() : Math.min(selected.size(), from + limit);
      selected.subList(from, to).forEach(items::add);
      meta.addProperty("resourceVersion", Long.toString(resourceVersion));
      if (to < selected.size()) {
        snapshots.put(id, selected);
        meta.addProperty("continue", id + ":" + to);
      } else {
        snapshots.remove(id);
      }
    }
    list.add("metadata", meta);
    list.add("items", items);
    respond(exchange, 200, list.toString());
  }

  private void watch(
      HttpExchange exchange, Resource resource, Predicate<JsonObject> selector, Map<String, String> query)
      throws IOException {
    String from = query.getOrDefault("resourceVersion", "");
    boolean bookmarks = "true".equals(query.get("allowWatchBookmarks"));
    long deadline =
        query.containsKey("timeoutSeconds")
            ? System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(query.get("timeoutSeconds")))
            : Long.MAX_VALUE;
    Watcher watcher = new Watcher(resource, selector);
    List<String> backlog = new ArrayList<>();
    boolean gone = false;
    synchronized (lock) {
      if (from.isEmpty() || from.equals("0")) {
        for (JsonObject o : objects.get(resource).values()) {
          if (selector.test(o)) {
            backlog.add(event("ADDED", o));
          }
        }
      } else if (Long.parseLong(from) < compactedAt) {
        gone = true;
        goneSent++;
      } else {
        long since = Long.parseLong(from);
        for (Change c : history) {
          String line = c.rv() > since ? watcher.eventFor(c) : null;
          if (line != null) {
            backlog.add(line);
          }
        }
      }
      if (!gone) {
        watchers.add(watcher);
      }
    }
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    if (gone) {
      String message = "too old resource version: " + from + " (" + compactedAt + ")";
      writeLine(out, "{\"type\":\"ERROR\",\"object\":" + status(410, "Expired", message) + "}");
      return;
    }
    try {
      for (String line : backlog) {
        writeLine(out, line);
      }
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        long wait = Math.min(left, bookmarkInterval.toNanos());
        String line = watcher.queue.poll(wait, TimeUnit.NANOSECONDS);
        if (line == POISON) {
          return;
        }
        if (line == null && bookmarks) {
          line = bookmarkIfQuiet(watcher);
        }
        if (line != null) {
          writeLine(out, line);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The client went away or the server was stopped: the watch is over.
    } finally {
      watchers.remove(watcher);
    }
  }

  private String bookmarkIfQuiet(Watcher watcher) {
    synchronized (lock) {
      // Holding the lock, nothing can be queued between this check and the version read, so
      // a bookmark never claims a version whose change the watcher has not received.
      if (!watcher.queue.isEmpty()) {
        return null;
      }
      JsonObject object = new JsonObject();
      object.addProperty("kind", watcher.resource.kind);
      object.addProperty("apiVersion", watcher.resource.apiVersion);
      JsonObject meta = new JsonObject();
      meta.addProperty("resourceVersion", Long.toString(resourceVersion));
      object.add("metadata", meta);
      return event("BOOKMARK", object);
    }
  }

  private void record(Change change) {
    history.add(change);
    if (holdingWatchEvents) {
      return;
    }
    for (Watcher w : watchers) {
      String line = w.eventFor(change);
      if (line != null) {
        w.queue.add(line);
      }
    }
  }

  private static void writeLine(OutputStream out, String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void respond(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static String event(String type, JsonObject object) {
    JsonObject event = new JsonObject();
    event.addProperty("type", type);
    event.add("object", object);
    return event.toString();
  }

  private static String status(int code, String reason, String message) {
    JsonObject status = new JsonObject();
    status.addProperty("kind", "Status");
    status.addProperty("apiVersion", "v1");
    status.add("metadata", new JsonObject());
    status.addProperty("status", "Failure");
    status.addProperty("message", message);
    status.addProperty("reason", reason);
    status.addProperty("code", code);
    return status.toString();
  }

  private static JsonObject metadata(JsonObject object) {
    JsonElement meta = object.get("metadata");
    checkArgument(meta != null && meta.isJsonObject(), "the object has no metadata: %s", object);
    return meta.getAsJsonObject();
  }

  private static String key(Resource resource, JsonObject object) {
    JsonObject meta = metadata(object);
    checkArgument(meta.has("name"), "the object has no metadata.name: %s", object);
    String name = meta.get("name").getAsString();
    if (!resource.namespaced) {
      return name;
    }
    checkArgument(meta.has("namespace"), "the object has no metadata.namespace: %s", object);
    return meta.get("namespace").getAsString() + "/" + name;
  }

  private static String stringAt(JsonObject object, String field) {
    JsonObject meta = metadata(object);
    return meta.has(field) ? meta.get(field).getAsString() : "";
  }

  private static Map<String, String> labels(JsonObject object) {
    JsonElement labels = metadata(object).get("labels");
    Map<String, String> result = new HashMap<>();
    if (labels != null && labels.isJsonObject()) {
      labels.getAsJsonObject().entrySet().forEach(e -> result.put(e.getKey(), e.getValue().getAsString()));
    }
    return result;
  }

  static Predicate<JsonObject> labelSelector(String selector) {
    Predicate<JsonObject> all = o -> true;
    for (String requirement : selector.split(",")) {
      String r = requirement.trim();
      if (r.isEmpty()) {
        continue;
      }
      checkArgument(!r.contains("(") && !r.contains(" "), "set-based label selectors are not supported: %s", r);
      Predicate<JsonObject> p;
      if (r.startsWith("!")) {
        String key = r.substring(1);
        p = o -> !labels(o).containsKey(key);
      } else if (r.contains("!=")) {
        String[] kv = r.split("!=", 2);
        p = o -> !kv[1].equals(labels(o).get(kv[0]));
      } else if (r.contains("=")) {
        String[] kv = r.split("==?", 2);
        p = o -> kv[1].equals(labels(o).get(kv[0]));
      } else {
        p = o -> labels(o).containsKey(r);
      }
      all = all.and(p);
    }
    return all;
  }

  static Predicate<JsonObject> fieldSelector(String selector) {
    Predicate<JsonObject> all = o -> true;
    for (String requirement : selector.split(",")) {
      String r = requirement.trim();
      if (r.isEmpty()) {
        continue;
      }
      boolean negated = r.contains("!=");
      String[] kv = r.split(negated ? "!=" : "==?", 2);
      checkArgument(kv.length == 2, "malformed field selector: %s", r);
      String field =
          switch (kv[0]) {
            case "metadata.name" -> "name";
            case "metadata.namespace" -> "namespace";
            default -> throw new IllegalArgumentException("field selector not supported: " + kv[0]);
          };
      Predicate<JsonObject> p = o -> kv[1].equals(stringAt(o, field));
      all = all.and(negated ? p.negate() : p);
    }
    return all;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> result = new TreeMap<>();
    if (raw == null || raw.isEmpty()) {
      return result;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      result.put(
          URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return result;
  }

  /**
   * One change at version {@code rv}: {@code before} is null for a creation; for a deletion
   * {@code after} is the last state stamped with the deletion's version.
   */
  private record Change(long rv, Resource resource, JsonObject before, JsonObject after, boolean deleted) {}

  /** One open watch: what it selects and the lines waiting to be streamed to it. */
  private static final class Watcher {
    final Resource resource;
    final Predicate<JsonObject> selector;
    final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();

    Watcher(Resource resource, Predicate<JsonObject> selector) {
      this.resource = resource;
      this.selector = selector;
    }

    /** The event line this watch sees for {@code change}, or null when it sees nothing. */
    String eventFor(Change change) {
      if (change.resource() != resource) {
        return null;
      }
      boolean was = change.before() != null && selector.test(change.before());
      if (change.deleted()) {
        return was ? event("DELETED", change.after()) : null;
      }
      if (selector.test(change.after())) {
        return event(was ? "MODIFIED" : "ADDED", change.after());
      }
      // The object left this watch's selection: to the watcher it is gone.
      return was ? event("DELETED", change.after()) : null;
    }
  }
}
