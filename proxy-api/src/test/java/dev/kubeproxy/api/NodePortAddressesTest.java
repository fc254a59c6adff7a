package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NodePortAddressesTest {
  private static final IpAddress NODE_V4 = IpAddress.parse("192.0.2.7");

  @Test
  @DisplayName("nothing means every address; 'primary' alone; CIDRs are canonicalised")
  void parsesTheThreeForms() {
    assertThat(NodePortAddresses.parse(List.of())).isEqualTo(NodePortAddresses.ALL);
    assertThat(NodePortAddresses.parse(List.of(" primary "))).isEqualTo(NodePortAddresses.PRIMARY);
    NodePortAddresses cidrs = NodePortAddresses.parse(List.of("10.1.2.3/8", "fd00::/64"));
    assertThat(cidrs.kind()).isEqualTo(NodePortAddresses.Kind.CIDRS);
    assertThat(cidrs.toStrings()).containsExactly("10.0.0.0/8", "fd00::/64");
  }

  @Test
  @DisplayName("an entry that is neither a CIDR nor 'primary' is named in the error; a bare IP is not a CIDR")
  void rejectsNonCidrs() {
    assertThatThrownBy(() -> NodePortAddresses.parse(List.of("10.0.0.0/8", "x")))
        .hasMessage("'x' is not a CIDR or 'primary'");
    assertThatThrownBy(() -> NodePortAddresses.parse(List.of("10.20.30.40")))
        .hasMessage("'10.20.30.40' is not a CIDR or 'primary'");
  }

  @Test
  @DisplayName("as upstream's validation: 'primary' cannot be combined with CIDRs, in either order")
  void rejectsPrimaryWithCidrs() {
    assertThatThrownBy(() -> NodePortAddresses.parse(List.of("primary", "127.0.0.1/32")))
        .hasMessage("can't use both 'primary' and CIDRs");
    assertThatThrownBy(() -> NodePortAddresses.parse(List.of("127.0.0.1/32", "primary")))
        .hasMessage("can't use both 'primary' and CIDRs");
  }

  @Test
  @DisplayName("per family: 'primary' is the node IP's host prefix, or every address when it is missing or loopback")
  void primaryPerFamily() {
    assertThat(NodePortAddresses.PRIMARY.forFamily(IpFamily.V4, NODE_V4))
        .isEqualTo(NodePortAddresses.cidrs(List.of(Cidr.parse("192.0.2.7/32"))));
    assertThat(NodePortAddresses.PRIMARY.forFamily(IpFamily.V4, null)).isEqualTo(NodePortAddresses.ALL);
    assertThat(NodePortAddresses.PRIMARY.forFamily(IpFamily.V4, IpAddress.parse("127.0.0.1")))
        .isEqualTo(NodePortAddresses.ALL);
  }

  @Test
  @DisplayName("per family: only that family's CIDRs; none of it, or a /0, means every address")
  void cidrsPerFamily() {
    NodePortAddresses v4Only = NodePortAddresses.cidrs("10.0.0.0/8");
    assertThat(v4Only.forFamily(IpFamily.V4, NODE_V4)).isEqualTo(v4Only);
    assertThat(v4Only.forFamily(IpFamily.V6, null)).isEqualTo(NodePortAddresses.ALL);
    assertThat(NodePortAddresses.cidrs("10.0.0.0/8", "0.0.0.0/0").forFamily(IpFamily.V4, null))
        .isEqualTo(NodePortAddresses.ALL);
    assertThat(v4Only.matches(IpAddress.parse("10.9.9.9"))).isTrue();
    assertThat(v4Only.matches(IpAddress.parse("11.0.0.1"))).isFalse();
  }
}
