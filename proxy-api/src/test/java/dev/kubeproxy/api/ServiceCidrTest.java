package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServiceCidrTest {
  @Test
  @DisplayName("one prefix per family, in canonical form, as the API server accepts them")
  void parsesDualStack() {
    ServiceCidr c = ServiceCidr.parse("kubernetes", List.of("10.96.0.0/16", "fd00:10:96::/112"));

    assertThat(c.name()).isEqualTo("kubernetes");
    assertThat(c.cidrs()).containsExactly(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:10:96::/112"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not canonical         | 10.96.0.1/16                   | spec.cidrs[0]: '10.96.0.1/16' must be in canonical form 10.96.0.0/16",
        "bare address          | 10.96.0.0                      | spec.cidrs[0]: '10.96.0.0' must be in canonical form 10.96.0.0/32",
        "garbage               | ten/8                          | spec.cidrs[0]:",
        "second bad            | 10.96.0.0/16;fd00::/300        | spec.cidrs[1]:",
        "two of one family     | 10.96.0.0/16;10.97.0.0/16      | spec.cidrs: two CIDRs must be one IPv4 and one IPv6",
        "three                 | 10.96.0.0/16;fd00::/112;10.0.0.0/8 | spec.cidrs: must hold one or two CIDRs",
      })
  @DisplayName("invalid spec.cidrs name the object and the field")
  void rejectsInvalid(String why, String cidrs, String message) {
    assertThatThrownBy(() -> ServiceCidr.parse("extra", List.of(cidrs.split(";"))))
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageStartingWith("ServiceCIDR extra: " + message);
  }

  @Test
  @DisplayName("no CIDRs, or a name that is no DNS subdomain, is invalid")
  void rejectsEmptyAndBadName() {
    assertThatThrownBy(() -> ServiceCidr.parse("empty", List.of()))
        .hasMessage("ServiceCIDR empty: spec.cidrs: must hold one or two CIDRs");
    assertThatThrownBy(() -> ServiceCidr.parse("Bad_Name", List.of("10.96.0.0/16")))
        .isInstanceOf(InvalidObjectException.class)
        .hasMessageContaining("metadata.name");
  }
}
