package dev.kubeproxy.bin.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Binding without the client's per-model adapters keeps their validation (run once over the
 * whole tree) and binds nested models, int-or-string and strict scalars as before.
 */
class StrictBindingTest {
  private final StrictBinding binding = new StrictBinding();

  @Test
  void bindsNestedModels() {
    V1EndpointSlice slice = binding.bind(Map.of(
        "apiVersion", "discovery.k8s.io/v1", "kind", "EndpointSlice", "addressType", "IPv4",
        "metadata", Map.of("name", "web-1", "namespace", "default"),
        "endpoints", List.of(Map.of("addresses", List.of("10.0.0.1"),
            "conditions", Map.of("ready", true, "serving", false))),
        "ports", List.of(Map.of("name", "http", "port", 8080))), V1EndpointSlice.class);

    assertThat(slice.getEndpoints().get(0).getConditions().getReady()).isTrue();
    assertThat(slice.getEndpoints().get(0).getConditions().getServing()).isFalse();
    assertThat(slice.getPorts().get(0).getPort()).isEqualTo(8080);
  }

  @Test
  void bindsIntOrString() {
    V1Service service = binding.bind(service(Map.of("port", 80, "targetPort", "http")), V1Service.class);

    assertThat(service.getSpec().getPorts().get(0).getTargetPort().getStrValue()).isEqualTo("http");
  }

  @Test
  void refusesAnUnknownFieldDeepInside() {
    assertThatThrownBy(() -> binding.bind(service(Map.of("port", 80, "bogus", 1)), V1Service.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("`bogus`")
        .hasMessageContaining("V1ServicePort");
  }

  @Test
  void aMismatchDeepInsideNamesItsWholePath() {
    assertThatThrownBy(() -> binding.bind(service(Map.of("port", true)), V1Service.class))
        .isInstanceOfSatisfying(StrictBinding.BadScalarException.class,
            e -> assertThat(e.field()).isEqualTo("spec.ports[0].port"));
  }

  private static Map<String, Object> service(Map<String, Object> port) {
    return Map.of("apiVersion", "v1", "kind", "Service",
        "metadata", Map.of("name", "web", "namespace", "default"),
        "spec", Map.of("clusterIP", "10.96.0.10", "ports", List.of(port)));
  }
}
