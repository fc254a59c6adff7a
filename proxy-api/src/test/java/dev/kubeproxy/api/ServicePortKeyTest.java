package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A service port key refuses the separators and lengths that would let two distinct keys derive
 * one kernel name (issue 14: {@code a/b} + {@code c} and {@code a} + {@code b/c} once shared an
 * nftables affinity set).
 */
class ServicePortKeyTest {
  @Test
  @DisplayName("keys whose parts hold the separators, or parts over 63 characters, are refused where they are made")
  void separatorsRefused() {
    assertThatThrownBy(() -> ServicePortKey.of("a/b", "c", "", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServicePortKey.of("a", "b/c", "", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServicePortKey.of("a", "b", "tcp/p", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServicePortKey.of("a", "b:c", "", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> ServicePortKey.of("a", "x".repeat(ServicePortKey.MAX_PART + 1), "", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("keys and names are equal, hash alike and order exactly by namespace, name, port name, protocol")
  void equalityAndOrder() {
    List<ServicePortKey> keys = new ArrayList<>();
    for (String namespace : List.of("a", "ab", "b")) {
      for (String name : List.of("x", "xy", "y")) {
        for (String port : List.of("", "dns", "http")) {
          for (Protocol protocol : Protocol.values()) {
            keys.add(ServicePortKey.of(namespace, name, port, protocol));
          }
        }
      }
    }
    Comparator<ServicePortKey> byParts = Comparator
        .comparing((ServicePortKey k) -> k.service().namespace())
        .thenComparing(k -> k.service().name())
        .thenComparing(ServicePortKey::portName)
        .thenComparing(ServicePortKey::protocol);
    for (ServicePortKey a : keys) {
      for (ServicePortKey b : keys) {
        ServicePortKey copy = ServicePortKey.of(
            b.service().namespace(), b.service().name(), b.portName(), b.protocol());
        boolean same = a.service().namespace().equals(b.service().namespace())
            && a.service().name().equals(b.service().name())
            && a.portName().equals(b.portName()) && a.protocol() == b.protocol();
        assertThat(a.equals(copy)).as("%s equals %s", a, b).isEqualTo(same);
        assertThat(a.service().equals(copy.service()))
            .isEqualTo(a.service().toString().equals(b.service().toString()));
        if (same) {
          assertThat(a.hashCode()).isEqualTo(copy.hashCode());
          assertThat(a.service().hashCode()).isEqualTo(copy.service().hashCode());
        }
        assertThat(Integer.signum(a.compareTo(copy)))
            .as("%s vs %s", a, b).isEqualTo(Integer.signum(byParts.compare(a, b)));
        assertThat(Integer.signum(a.service().compareTo(copy.service()))).isEqualTo(Integer.signum(
            byParts.thenComparing((x, y) -> 0).compare(
                ServicePortKey.of(a.service().namespace(), a.service().name(), "", Protocol.TCP),
                ServicePortKey.of(b.service().namespace(), b.service().name(), "", Protocol.TCP))));
      }
    }
  }
}
