package dev.kubeproxy.bin.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.kubeproxy.api.NamespacedName;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Node events through the official client, against the fake API server. */
class KubernetesNodeEventsTest {
  @RegisterExtension final FakeApiServer api = FakeApiServer.perTest();

  @Test
  @DisplayName("Starting and a warning are POSTed as upstream's events.k8s.io/v1 Events regarding the Node, reported by kube-proxy")
  void postsEvents() throws Exception {
    Clock clock = Clock.fixed(Instant.parse("2026-12-04T19:00:00.123456789Z"), ZoneOffset.UTC);
    try (KubernetesNodeEvents events =
        new KubernetesNodeEvents(KubernetesSource.apiClient(null, api.url()), "node-a", clock)) {
      events.record(NodeEvents.NORMAL, "Starting", NodeEvents.START, null);
      events.record(NodeEvents.WARNING, "FailedToStartMetricServer", NodeEvents.START, "bind: address in use");
    }

    List<JsonObject> posted = api.events();
    assertThat(posted).hasSize(2);
    JsonObject starting = posted.get(0);
    assertThat(starting.get("type").getAsString()).isEqualTo("Normal");
    assertThat(starting.get("reason").getAsString()).isEqualTo("Starting");
    assertThat(starting.get("action").getAsString()).isEqualTo("StartKubeProxy");
    assertThat(starting.get("reportingController").getAsString()).isEqualTo("kube-proxy");
    assertThat(starting.get("reportingInstance").getAsString()).isEqualTo("kube-proxy-node-a");
    assertThat(starting.get("eventTime").getAsString()).startsWith("2026-12-04T19:00:00.123456");
    assertThat(starting.getAsJsonObject("metadata").get("namespace").getAsString()).isEqualTo("default");
    JsonObject regarding = starting.getAsJsonObject("regarding");
    assertThat(regarding.get("kind").getAsString()).isEqualTo("Node");
    assertThat(regarding.get("name").getAsString()).isEqualTo("node-a");
    assertThat(regarding.get("uid").getAsString()).isEqualTo("node-a");
    JsonObject warning = posted.get(1);
    assertThat(warning.get("type").getAsString()).isEqualTo("Warning");
    assertThat(warning.get("note").getAsString()).isEqualTo("bind: address in use");
    assertThat(api.requests()).contains("POST /apis/events.k8s.io/v1/namespaces/default/events");
  }

  @Test
  @DisplayName("a warning about a Service is POSTed in the Service's namespace, regarding the Service with its UID")
  void postsServiceEvents() throws Exception {
    Clock clock = Clock.fixed(Instant.parse("2026-12-04T19:00:00Z"), ZoneOffset.UTC);
    try (KubernetesNodeEvents events =
        new KubernetesNodeEvents(KubernetesSource.apiClient(null, api.url()), "node-a", clock)) {
      events.recordForService(NamespacedName.of("shop", "web"), "u-1", NodeEvents.WARNING,
          "KubeProxyIncorrectIPVersion", "GatherEndpoints",
          "fd00::1 in clusterIP has incorrect IP version");
    }

    JsonObject event = api.events().get(0);
    assertThat(event.getAsJsonObject("metadata").get("namespace").getAsString()).isEqualTo("shop");
    assertThat(event.getAsJsonObject("metadata").get("name").getAsString()).startsWith("web.");
    assertThat(event.get("reportingInstance").getAsString()).isEqualTo("kube-proxy-node-a");
    JsonObject regarding = event.getAsJsonObject("regarding");
    assertThat(regarding.get("kind").getAsString()).isEqualTo("Service");
    assertThat(regarding.get("namespace").getAsString()).isEqualTo("shop");
    assertThat(regarding.get("name").getAsString()).isEqualTo("web");
    assertThat(regarding.get("uid").getAsString()).isEqualTo("u-1");
    assertThat(api.requests()).contains("POST /apis/events.k8s.io/v1/namespaces/shop/events");
  }
}
