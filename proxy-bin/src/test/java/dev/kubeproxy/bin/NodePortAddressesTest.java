package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NodePortAddressesTest {
  private static final List<IpAddress> LOCAL =
      List.of(ip("127.0.0.1"), ip("192.0.2.1"), ip("192.0.2.11"), ip("198.51.100.5"), ip("fd00::1"));

  private static IpAddress ip(String text) {
    return IpAddress.parse(text);
  }

  @Test
  @DisplayName("service health servers listen on the local addresses inside --nodeport-addresses, loopback excluded")
  void cidrsSelectLocalAddresses() {
    assertThat(NodePortAddresses.select(
            List.of(Cidr.parse("192.0.2.0/24"), Cidr.parse("127.0.0.0/8")), false, List.of(), LOCAL))
        .containsExactly(ip("192.0.2.1"), ip("192.0.2.11"));
  }

  @Test
  @DisplayName("'primary' adds the node IPs")
  void primaryAddsNodeIps() {
    assertThat(NodePortAddresses.select(List.of(), true, List.of(ip("192.0.2.1")), LOCAL))
        .containsExactly(ip("192.0.2.1"));
  }
}
