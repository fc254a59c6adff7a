package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Distinct service port keys (and endpoints) never share an iptables chain name: upstream's
 * hashed names of {@code ns/name:port} + protocol (+ endpoint) are injective because no part may
 * hold {@code /} or {@code :} ({@link ServicePortKey}), and no protocol name is a hex digit run.
 */
class IptNamesCollisionTest {
  private static final List<String> PARTS = List.of(
      "a", "b", "a-b", "ab", "tcp", "udp", "sctp", "a-tcp", "tcp-a", "p80", "p8", "0p80", "fd00",
      "x".repeat(ServicePortKey.MAX_PART));

  @Test
  @DisplayName("KUBE-SVC/SVL/EXT/FW and KUBE-SEP names are distinct for adversarial keys and endpoints")
  void distinctKeysDistinctChains() {
    List<ServiceEndpoint> endpoints = List.of(
        new ServiceEndpoint(IpAddress.parse("10.0.0.1"), 80, false, false),
        new ServiceEndpoint(IpAddress.parse("10.0.0.18"), 8, false, false),
        new ServiceEndpoint(IpAddress.parse("fd00::1"), 80, false, false),
        new ServiceEndpoint(IpAddress.parse("fd00::1:80"), 80, false, false));
    List<String> ports = new ArrayList<>(PARTS);
    ports.add("");
    Map<String, String> names = new HashMap<>();
    int count = 0;
    for (String ns : PARTS) {
      for (String name : PARTS) {
        for (String port : ports) {
          for (Protocol protocol : Protocol.values()) {
            ServicePortKey key = ServicePortKey.of(ns, name, port, protocol);
            String id = key + "/" + protocol;
            for (String chain : List.of(IptNames.svc(key), IptNames.svl(key), IptNames.ext(key), IptNames.fw(key))) {
              assertThat(names.put(chain, id)).as("%s of %s", chain, id).isNull();
              count++;
            }
            for (ServiceEndpoint endpoint : endpoints) {
              String sep = IptNames.sep(key, endpoint);
              assertThat(names.put(sep, id + " " + endpoint)).as("%s of %s %s", sep, id, endpoint).isNull();
              assertThat(sep.length()).isLessThanOrEqualTo(28);
              count++;
            }
          }
        }
      }
    }
    assertThat(names).hasSize(count);
  }
}
