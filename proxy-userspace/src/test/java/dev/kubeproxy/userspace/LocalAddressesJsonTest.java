package dev.kubeproxy.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalAddressesJsonTest {
  @Test
  void rendersEveryServicePortSortedWithBracketedIpv6() {
    ImmutableMap<ServicePortKey, List<InetSocketAddress>> addresses =
        ImmutableMap.of(
            ServicePortKey.of("kube-system", "dns", "dns", Protocol.UDP),
            List.of(new InetSocketAddress("127.0.0.1", 40001), new InetSocketAddress("::1", 40002)),
            ServicePortKey.of("default", "web", "", Protocol.TCP),
            List.of(new InetSocketAddress("127.0.0.1", 40003)));

    assertThat(LocalAddressesJson.render(addresses))
        .isEqualTo(
            "{\"servicePorts\":["
                + "{\"namespace\":\"default\",\"name\":\"web\",\"port\":\"\",\"protocol\":\"TCP\","
                + "\"addresses\":[\"127.0.0.1:40003\"]},"
                + "{\"namespace\":\"kube-system\",\"name\":\"dns\",\"port\":\"dns\",\"protocol\":\"UDP\","
                + "\"addresses\":[\"127.0.0.1:40001\",\"[::1]:40002\"]}]}");
  }

  @Test
  void escapesQuotesBackslashesAndControlCharacters() {
    ImmutableMap<ServicePortKey, List<InetSocketAddress>> addresses =
        ImmutableMap.of(ServicePortKey.of("ns", "n", "a\"b\\c\n", Protocol.TCP), List.of());

    assertThat(LocalAddressesJson.render(addresses)).contains("\"port\":\"a\\\"b\\\\c\\u000a\"");
  }

  @Test
  void emptyMapRendersAnEmptyList() {
    assertThat(LocalAddressesJson.render(ImmutableMap.of())).isEqualTo("{\"servicePorts\":[]}");
  }
}
