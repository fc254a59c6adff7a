package dev.kubeproxy.api.testing.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.OptionalInt;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The text of failed requests and of conntrack event lines, without a kernel. */
class LabEvidenceTest {
  // 2026-12-05T03:12:45.123Z
  private static final long AT = 1_796_440_365_123L;

  @Test
  @DisplayName("a failure names its source port and UTC start time, and Reply reads the port back")
  void failureTextCarriesSourcePort() throws Exception {
    String refused = LabAgent.failure(new ConnectException("Connection refused"), null, 41234, AT);
    assertThat(refused)
        .startsWith("REFUSED|java.net.ConnectException: Connection refused src=*:41234 ")
        .containsPattern(" at=03:12:45\\.123 took=-?\\d+ms t=" + AT + "$");
    assertThat(Reply.decode(refused).sourcePort()).isEqualTo(OptionalInt.of(41234));

    String v6 = LabAgent.failure(new SocketTimeoutException("Connect timed out"),
        InetAddress.getByName("fd00:10:244:1::10"), 40053, AT);
    assertThat(v6).startsWith("TIMEOUT|").contains(" src=fd00:10:244:1:0:0:0:10:40053 at=");
    assertThat(Reply.decode(v6).sourcePort()).isEqualTo(OptionalInt.of(40053));

    String unknown = LabAgent.failure(new ConnectException("Connection refused"), null, -1, AT);
    assertThat(unknown).contains(" src=*:? at=");
    assertThat(Reply.decode(unknown).sourcePort()).isEmpty();
    long[] during = Reply.decode(unknown).failedDuring().orElseThrow();
    assertThat(during[0]).isEqualTo(AT);
    assertThat(during[1]).isGreaterThanOrEqualTo(AT);
    assertThat(new Reply(Reply.Outcome.ANSWERED, "ep-a 10.244.1.10").failedDuring()).isEmpty();
    assertThat(new Reply(Reply.Outcome.ANSWERED, "ep-a 10.244.1.10").sourcePort()).isEmpty();
  }

  @Test
  @DisplayName("conntrack's epoch stamp is shown as UTC time of day, as probes show theirs")
  void eventLinesGetUtcTime() {
    assertThat(LabAgent.utcTimeOfDay(AT)).isEqualTo("03:12:45.123");
    assertThat(LabEvidence.withUtcTime("[1796440365.123456]\t    [NEW] tcp      6 120 SYN_SENT"))
        .isEqualTo("03:12:45.123 [1796440365.123456]\t    [NEW] tcp      6 120 SYN_SENT");
    assertThat(LabEvidence.withUtcTime("conntrack v1.4.7 (conntrack-tools): 2 flow events"))
        .isEqualTo("conntrack v1.4.7 (conntrack-tools): 2 flow events");
  }
}
