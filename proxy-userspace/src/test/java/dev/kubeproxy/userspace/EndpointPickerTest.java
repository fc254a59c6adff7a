package dev.kubeproxy.userspace;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.SessionAffinity;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EndpointPickerTest {
  private static final ServiceEndpoint A = endpoint("10.1.0.1", 80);
  private static final ServiceEndpoint B = endpoint("10.1.0.2", 80);
  private static final ServiceEndpoint C = endpoint("10.1.0.3", 80);

  private final AtomicLong now = new AtomicLong();
  private final EndpointPicker picker = new EndpointPicker(now::get);

  private static InetAddress client(int n) throws Exception {
    return InetAddress.getByName("192.168.0." + n);
  }

  private List<ServiceEndpoint> pick(int times, InetAddress client) {
    List<ServiceEndpoint> picks = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      picks.add(picker.pick(client, false));
    }
    return picks;
  }

  @Test
  void takesTurnsInListOrder() throws Exception {
    picker.update(List.of(A, B, C), SessionAffinity.NONE);

    assertThat(pick(7, client(1))).containsExactly(A, B, C, A, B, C, A);
  }

  @Test
  void noEndpointsPicksNothing() throws Exception {
    assertThat(picker.pick(client(1), false)).isNull();
  }

  @Test
  void affinityHoldsWhileUsedWithinTheTimeoutThenExpires() throws Exception {
    picker.update(List.of(A, B, C), SessionAffinity.clientIp(10));

    ServiceEndpoint first = picker.pick(client(1), false);
    now.addAndGet(Duration.ofSeconds(9).toNanos());
    ServiceEndpoint within = picker.pick(client(1), false);
    now.addAndGet(Duration.ofSeconds(9).toNanos()); // 18 s after the first, 9 after the last use
    ServiceEndpoint renewed = picker.pick(client(1), false);
    ServiceEndpoint otherClient = picker.pick(client(2), false);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    ServiceEndpoint expired = picker.pick(client(1), false);

    assertThat(List.of(first, within, renewed)).containsOnly(A);
    assertThat(otherClient).isEqualTo(B);
    assertThat(expired).isEqualTo(C);
  }

  @Test
  void aRetryIgnoresAffinityAndMovesIt() throws Exception {
    picker.update(List.of(A, B, C), SessionAffinity.clientIp(100));

    ServiceEndpoint first = picker.pick(client(1), false);
    ServiceEndpoint retry = picker.pick(client(1), true);
    ServiceEndpoint after = picker.pick(client(1), false);

    assertThat(first).isEqualTo(A);
    assertThat(retry).isEqualTo(B);
    assertThat(after).isEqualTo(B);
  }

  @Test
  void affinityToARemovedEndpointIsForgotten() throws Exception {
    picker.update(List.of(A, B), SessionAffinity.clientIp(100));
    assertThat(picker.pick(client(1), false)).isEqualTo(A);

    picker.update(List.of(B, C), SessionAffinity.clientIp(100));

    assertThat(picker.affinityEntries()).isZero();
    assertThat(picker.pick(client(1), false)).isIn(B, C);
  }

  @Test
  void aNewListKeepsTheTurnsPosition() throws Exception {
    picker.update(List.of(A, B, C), SessionAffinity.NONE);
    pick(2, client(1)); // next turn: index 2

    picker.update(List.of(A, B, C, endpoint("10.1.0.4", 80)), SessionAffinity.NONE);

    assertThat(picker.pick(client(1), false)).isEqualTo(C);
  }

  @Test
  void droppingAffinityForgetsEveryClient() throws Exception {
    picker.update(List.of(A, B), SessionAffinity.clientIp(100));
    picker.pick(client(1), false);

    picker.update(List.of(A, B), SessionAffinity.NONE);

    assertThat(picker.affinityEntries()).isZero();
    assertThat(pick(2, client(1))).containsExactly(B, A);
  }
}
