package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class IpAddressAndCidrTest {
  @Test
  @DisplayName("addresses parse as literals only (no DNS) and print canonically")
  void parsesLiterals() {
    assertThat(IpAddress.parse("10.0.0.1").family()).isEqualTo(IpFamily.V4);
    assertThat(IpAddress.parse("FD00:0::1")).hasToString("fd00::1");
    assertThat(IpAddress.parse("fd00::1").family()).isEqualTo(IpFamily.V6);
    assertThatThrownBy(() -> IpAddress.parse("localhost")).hasMessageContaining("'localhost'");
    assertThatThrownBy(() -> IpAddress.parse("10.0.0.256")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IpAddress.parse("fe80::1%eth0")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void withPortBracketsIpv6LikeUpstreamEndpointStrings() {
    assertThat(IpAddress.parse("10.1.1.1").withPort(80)).isEqualTo("10.1.1.1:80");
    assertThat(IpAddress.parse("fd00::1").withPort(80)).isEqualTo("[fd00::1]:80");
  }

  @Test
  void invalidFieldErrorNamesObjectAndField() {
    assertThatThrownBy(() -> IpAddress.parse("x", "Service a/b", "spec.clusterIPs[0]"))
        .isInstanceOf(InvalidObjectException.class)
        .hasMessage("Service a/b: spec.clusterIPs[0]: 'x' is not an IP address");
  }

  @Test
  void cidrNormalisesAndContains() {
    Cidr c = Cidr.parse(" 10.1.2.3/16 ");
    assertThat(c).hasToString("10.1.0.0/16");
    assertThat(c.contains(IpAddress.parse("10.1.255.255"))).isTrue();
    assertThat(c.contains(IpAddress.parse("10.2.0.0"))).isFalse();
    assertThat(c.contains(IpAddress.parse("fd00::1"))).isFalse();
    assertThat(Cidr.parse("10.0.0.0/9").contains(IpAddress.parse("10.127.0.1"))).isTrue();
    assertThat(Cidr.parse("10.0.0.0/9").contains(IpAddress.parse("10.128.0.1"))).isFalse();
    assertThat(Cidr.parse("fd00::/64").contains(IpAddress.parse("fd00::5"))).isTrue();
    assertThat(Cidr.parse("1.2.3.4")).hasToString("1.2.3.4/32");
    assertThat(Cidr.parse("0.0.0.0/0").contains(IpAddress.parse("8.8.8.8"))).isTrue();
  }

  @Test
  void cidrRejectsBadPrefix() {
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("prefix length");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("not a CIDR");
  }
}
