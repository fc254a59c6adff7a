package dev.kubeproxy.model.conntrack;

import static dev.kubeproxy.api.testing.TableFixtures.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpFamily;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConntrackListingTest {
  // Lines as conntrack v1.4.7 printed them in a lab namespace.
  static final String EXTENDED_V4 =
      "ipv4     2 udp      17 99 src=10.0.0.1 dst=10.96.0.10 sport=1000 dport=53 [UNREPLIED]"
          + " src=10.244.0.5 dst=10.0.0.1 sport=8053 dport=1000 mark=0 use=1\n";
  static final String EXTENDED_V6 =
      "ipv6     10 udp      17 99 src=fd00::1 dst=fd00:96::10 sport=1000 dport=53 [UNREPLIED]"
          + " src=fd00:244::5 dst=fd00::1 sport=8053 dport=1000 mark=0 use=1\n";

  @Test
  @DisplayName("extended and plain lines give the original and reply tuples, in order")
  void parsesTuples() {
    ConntrackListing listing = ConntrackListing.parse(EXTENDED_V4
        + "udp      17 29 src=10.0.0.2 dst=10.96.0.10 sport=1001 dport=53 src=10.96.0.10"
        + " dst=10.0.0.2 sport=53 dport=1001 [ASSURED] mark=0 zone=3 use=2\n");
    assertThat(listing.malformed()).isZero();
    assertThat(listing.entries()).containsExactly(
        new ConntrackEntry("udp", ip("10.0.0.1"), ip("10.96.0.10"), 1000, 53,
            ip("10.244.0.5"), ip("10.0.0.1"), 8053, 1000),
        new ConntrackEntry("udp", ip("10.0.0.2"), ip("10.96.0.10"), 1001, 53,
            ip("10.96.0.10"), ip("10.0.0.2"), 53, 1001));
  }

  @Test
  @DisplayName("IPv6 entries, TCP with a state word, and ICMP without ports parse too")
  void otherShapes() {
    ConntrackListing listing = ConntrackListing.parse(EXTENDED_V6
        + "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.96.0.30 sport=5000 dport=80"
        + " src=10.244.0.7 dst=10.0.0.1 sport=8080 dport=5000 [ASSURED] mark=0 use=1\n"
        + "icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 src=10.0.0.2 dst=10.0.0.1"
        + " type=0 code=0 id=7 mark=0 use=1\n");
    assertThat(listing.malformed()).isZero();
    assertThat(listing.entries()).extracting(ConntrackEntry::protocol).containsExactly("udp", "tcp", "icmp");
    assertThat(listing.entries().get(0).family()).isEqualTo(IpFamily.V6);
    assertThat(listing.entries().get(0).replySrc()).isEqualTo(ip("fd00:244::5"));
    assertThat(listing.entries().get(1).replySrcPort()).isEqualTo(8080);
    assertThat(listing.entries().get(2).origDstPort()).isZero();
  }

  @Test
  @DisplayName("malformed lines are skipped and counted; the summary line and blanks are ignored")
  void malformedSkipped() {
    String[] bad = {
        "garbage",
        "udp 17 29 src=10.0.0.1 dst=10.96.0.10 sport=1000 dport=53",             // no reply tuple
        "udp 17 29 src=10.0.0.1 dst=10.96.0.10 sport=1000 dport=53 src=10.244.0.5 dst=10.0.0.1"
            + " sport=8053 dport=1000 src=10.0.0.9",                               // a third tuple
        "udp 17 29 src=10.0.0.1 dst=10.96.0.999 sport=1000 dport=53 src=10.244.0.5"
            + " dst=10.0.0.1 sport=8053 dport=1000",                               // bad address
        "udp 17 29 src=10.0.0.1 dst=10.96.0.10 sport=99999 dport=53 src=10.244.0.5"
            + " dst=10.0.0.1 sport=8053 dport=1000",                               // bad port
        "udp 17 29 src=10.0.0.1 dst=fd00::1 sport=1 dport=53 src=10.244.0.5"
            + " dst=10.0.0.1 sport=8053 dport=1",                                  // mixed families
        "udp 17 29 src=10.0.0.1 dst=10.96.0.10 sport=-1 dport=53 src=10.244.0.5"
            + " dst=10.0.0.1 sport=8053 dport=1",                                  // negative port
        "=",
    };
    ConntrackListing listing = ConntrackListing.parse(
        String.join("\n", bad) + "\n\n" + EXTENDED_V4
            + "conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n");
    assertThat(listing.malformed()).isEqualTo(bad.length);
    assertThat(listing.entries()).hasSize(1);
  }

  @Test
  @DisplayName("empty output is an empty listing")
  void empty() {
    assertThat(ConntrackListing.parse("")).isEqualTo(new ConntrackListing(
        com.google.common.collect.ImmutableList.of(), 0));
  }
}
