package dev.kubeproxy.bin.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kubeproxy.bin.kube.FakeApiServer.Resource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fake answers list and watch the way the API server does, so informer tests mean something. */
class FakeApiServerTest {
  @RegisterExtension final FakeApiServer api = FakeApiServer.perTest();

  static String service(String name, String label) {
    return """
        {"kind":"Service","metadata":{"namespace":"default","name":"%s","labels":{%s}},
         "spec":{"clusterIP":"10.0.0.1","ports":[{"port":80,"protocol":"TCP"}]}}"""
        .formatted(name, label == null ? "" : "\"" + label + "\":\"x\"");
  }

  @Test
  @DisplayName("a list carries the current resourceVersion and honours !key label selectors")
  void listWithSelector() throws IOException {
    api.applyJson(service("web", null));
    long rv = api.applyJson(service("other", "service.kubernetes.io/service-proxy-name"));

    JsonObject list = get("/api/v1/services?labelSelector=" + encode("!service.kubernetes.io/service-proxy-name"));

    assertThat(list.getAsJsonObject("metadata").get("resourceVersion").getAsString()).isEqualTo(Long.toString(rv));
    assertThat(list.getAsJsonArray("items")).hasSize(1);
    assertThat(list.getAsJsonArray("items").get(0).getAsJsonObject().getAsJsonObject("metadata").get("name").getAsString())
        .isEqualTo("web");
  }

  @Test
  @DisplayName("a watch from version N streams every later change, and an object leaving the selection arrives as DELETED")
  void watchStreamsChangesAfterVersion() throws IOException {
    long from = api.applyJson(service("web", null));
    api.applyJson(service("api", null));
    api.applyJson(service("api", "service.kubernetes.io/headless"));
    api.delete(Resource.SERVICES, "default", "web");

    try (BufferedReader watch =
        open("/api/v1/services?watch=true&resourceVersion=" + from + "&labelSelector="
            + encode("!service.kubernetes.io/headless"))) {
      assertThat(event(watch.readLine())).isEqualTo("ADDED default/api");
      assertThat(event(watch.readLine())).isEqualTo("DELETED default/api");
      assertThat(event(watch.readLine())).isEqualTo("DELETED default/web");
      api.applyJson(service("db", null));
      assertThat(event(watch.readLine())).isEqualTo("ADDED default/db");
    }
  }

  @Test
  @DisplayName("resuming a watch from before a compaction gets an ERROR event with a 410 Status, as from etcd")
  void compactedVersionIsGone() throws IOException {
    long from = api.applyJson(service("web", null));
    api.applyJson(service("api", null));
    api.compact();

    try (BufferedReader watch = open("/api/v1/services?watch=1&resourceVersion=" + from)) {
      JsonObject line = JsonParser.parseString(watch.readLine()).getAsJsonObject();
      assertThat(line.get("type").getAsString()).isEqualTo("ERROR");
      assertThat(line.getAsJsonObject("object").get("code").getAsInt()).isEqualTo(410);
      assertThat(watch.readLine()).isNull();
    }
    assertThat(api.goneSent()).isEqualTo(1);
  }

  @Test
  @DisplayName("a quiet watch that allows bookmarks gets a BOOKMARK with the current resourceVersion")
  void bookmarks() throws IOException {
    api.bookmarkInterval(Duration.ofMillis(100));
    long from = api.applyJson(service("web", null));
    // A Node change bumps the global version but is not a Service event.
    long now = api.applyJson("{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}");

    try (BufferedReader watch =
        open("/api/v1/services?watch=true&allowWatchBookmarks=true&resourceVersion=" + from)) {
      JsonObject line = JsonParser.parseString(watch.readLine()).getAsJsonObject();
      assertThat(line.get("type").getAsString()).isEqualTo("BOOKMARK");
      assertThat(line.getAsJsonObject("object").getAsJsonObject("metadata").get("resourceVersion").getAsString())
          .isEqualTo(Long.toString(now));
    }
  }

  @Test
  @DisplayName("limit pages a list of one snapshot: continue tokens follow until a page without one; an expired token answers 410 Expired")
  void limitAndContinue() throws IOException {
    for (String name : new String[] {"a", "b", "c", "d", "e"}) {
      api.applyJson(service(name, null));
    }
    JsonObject first = get("/api/v1/services?limit=2&resourceVersion=0");
    assertThat(names(first)).isEqualTo("a b");
    String token = first.getAsJsonObject("metadata").get("continue").getAsString();
    // Changes after the first page are not in the pages of its snapshot.
    api.delete(Resource.SERVICES, "default", "c");
    JsonObject second = get("/api/v1/services?limit=2&continue=" + encode(token));
    assertThat(names(second)).isEqualTo("c d");
    JsonObject last = get("/api/v1/services?limit=2&continue="
        + encode(second.getAsJsonObject("metadata").get("continue").getAsString()));
    assertThat(names(last)).isEqualTo("e");
    assertThat(last.getAsJsonObject("metadata").has("continue")).isFalse();
    assertThat(names(get("/api/v1/services"))).isEqualTo("a b d e");

    JsonObject again = get("/api/v1/services?limit=3");
    api.expireContinueTokens();
    HttpURLConnection c = (HttpURLConnection) URI.create(api.url() + "/api/v1/services?limit=3&continue="
        + encode(again.getAsJsonObject("metadata").get("continue").getAsString())).toURL().openConnection();
    assertThat(c.getResponseCode()).isEqualTo(410);
    try (BufferedReader error = new BufferedReader(new InputStreamReader(c.getErrorStream(), StandardCharsets.UTF_8))) {
      assertThat(JsonParser.parseReader(error).getAsJsonObject().get("reason").getAsString()).isEqualTo("Expired");
    }
  }

  private static String names(JsonObject list) {
    StringBuilder names = new StringBuilder();
    list.getAsJsonArray("items").forEach(i -> names.append(names.length() == 0 ? "" : " ")
        .append(i.getAsJsonObject().getAsJsonObject("metadata").get("name").getAsString()));
    return names.toString();
  }

  @Test
  @DisplayName("stop drops connections; restart listens on the same port with the objects kept")
  void stopAndRestart() throws IOException {
    api.applyJson(service("web", null));
    String url = api.url();
    api.stop();
    api.applyJson(service("api", null));
    api.restart();

    assertThat(api.url()).isEqualTo(url);
    assertThat(get("/api/v1/services").getAsJsonArray("items")).hasSize(2);
  }

  private JsonObject get(String path) throws IOException {
    try (BufferedReader reader = open(path)) {
      return JsonParser.parseReader(reader).getAsJsonObject();
    }
  }

  @Test
  @DisplayName("a per-test server listens from JUnit's before-each on, stops at after-each, and"
      + " refuses a second test (it was held in a static field)")
  void perTestServerServesOneTest() throws Exception {
    FakeApiServer server = FakeApiServer.perTest();
    server.beforeEach(null);
    String services = server.url() + Resource.SERVICES.path;
    assertThat(status(services)).isEqualTo(200);

    server.afterEach(null);

    assertThatThrownBy(() -> status(services)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> server.beforeEach(null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("instance field");
  }

  private static int status(String url) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setConnectTimeout(5000);
    c.setReadTimeout(5000);
    try {
      return c.getResponseCode();
    } finally {
      c.disconnect();
    }
  }

  private BufferedReader open(String path) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(api.url() + path).toURL().openConnection();
    c.setConnectTimeout(5000);
    c.setReadTimeout(5000);
    assertThat(c.getResponseCode()).isEqualTo(200);
    return new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
  }

  private static String event(String line) {
    JsonObject e = JsonParser.parseString(line).getAsJsonObject();
    JsonObject meta = e.getAsJsonObject("object").getAsJsonObject("metadata");
    return e.get("type").getAsString() + " " + meta.get("namespace").getAsString() + "/"
        + meta.get("name").getAsString();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
