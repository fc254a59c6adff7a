package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
