package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Distinct service port keys never share a derived nftables name (issue 14: {@code a/b} + {@code
 * c} and {@code a} + {@code b/c} once mapped to one affinity set, so one Service's traffic reached
 * the other's endpoint).
 */
class NftNamesCollisionTest {
  /** Parts chosen to collide under naive joining: separators, protocol names, prefixes, length. */
  private static final List<String> PARTS = List.of(
      "a", "b", "a-b", "b-c", "ab", "tcp", "udp", "sctp", "a-tcp", "tcp-a", "p80", "p8", "0p80",
      "x".repeat(ServicePortKey.MAX_PART), "x".repeat(ServicePortKey.MAX_PART - 1) + "y");

  /** Every key over {@link #PARTS} (namespace, name, port name or none) and every protocol. */
  static List<ServicePortKey> adversarialKeys() {
    List<ServicePortKey> keys = new ArrayList<>();
    List<String> ports = new ArrayList<>(PARTS);
    ports.add("");
    for (String ns : PARTS) {
      for (String name : PARTS) {
        for (String port : ports) {
          for (Protocol protocol : Protocol.values()) {
            keys.add(ServicePortKey.of(ns, name, port, protocol));
          }
        }
      }
    }
    return keys;
  }

  @Test
  @DisplayName("affinity set and per-service chain names are distinct for ~14,000 adversarial keys")
  void distinctKeysDistinctNames() {
    List<ServicePortKey> keys = adversarialKeys();
    Map<String, ServicePortKey> affinity = new HashMap<>();
    Map<String, ServicePortKey> chains = new HashMap<>();
    for (ServicePortKey key : keys) {
      String set = NftNames.affinitySet(key);
      NftNames.checkName(set);
      assertThat(affinity.put(set, key)).as("affinity set %s of %s", set, key).isNull();
      assertThat(chains.put(NftNames.serviceChain("service-", key), key))
          .as("chain of %s", key).isNull();
      assertThat(set).as("never truncated").doesNotEndWith("...");
    }
    assertThat(affinity).hasSize(keys.size());
  }

  @Test
  @DisplayName("keys whose parts hold the separators are refused where they are made")
  void separatorsRefused() {
    assertThatThrownBy(() -> ServicePortKey.of("a/b", "c", "", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServicePortKey.of("a", "b/c", "", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServicePortKey.of("a", "b", "tcp/p", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServicePortKey.of("a", "b:c", "", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ServicePortKey.of("a", "x".repeat(ServicePortKey.MAX_PART + 1), "", Protocol.TCP))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
