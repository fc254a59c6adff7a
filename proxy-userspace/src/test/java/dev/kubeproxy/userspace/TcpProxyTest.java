package dev.kubeproxy.userspace;

import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.userspace.Harness.await;
import static dev.kubeproxy.userspace.Harness.connect;
import static dev.kubeproxy.userspace.Harness.greet;
import static dev.kubeproxy.userspace.Harness.key;
import static dev.kubeproxy.userspace.Harness.readLine;
import static dev.kubeproxy.userspace.Harness.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** TCP through the embedded proxy to loopback endpoint servers. */
class TcpProxyTest {
  private static final ServicePortKey WEB = key("web", Protocol.TCP);

  private Harness harness = new Harness();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private TcpEndpointServer server(String ip, String name) throws IOException {
    TcpEndpointServer s = TcpEndpointServer.start(ip, name);
    closeables.add(s);
    return s;
  }

  @Test
  void reachesEveryEndpointInRoundRobinOrder() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    TcpEndpointServer b = server("127.0.0.3", "b");
    TcpEndpointServer c = server("127.0.0.4", "c");
    harness.put(service("web", Protocol.TCP, c.endpoint(), a.endpoint(), b.endpoint()));

    List<String> names = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      names.add(greet(harness.address(WEB)));
    }

    assertThat(names).containsExactly("a", "b", "c", "a", "b", "c", "a", "b", "c");
    assertThat(harness.stats(WEB).totalConnections()).isEqualTo(9);
  }

  @Test
  void clientIpAffinityKeepsAnEndpointUntilItsTimeout() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    TcpEndpointServer b = server("127.0.0.3", "b");
    TcpEndpointServer c = server("127.0.0.4", "c");
    harness.put(
        entry("default", "web", "p", Protocol.TCP)
            .clusterIp("10.96.0.10", 80)
            .endpoints(a.endpoint(), b.endpoint(), c.endpoint())
            .clientIpAffinity(60)
            .build());
    InetSocketAddress proxy = harness.address(WEB);

    List<String> fromOne = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      fromOne.add(greetFrom("127.0.0.1", proxy));
      harness.nanos.addAndGet(Duration.ofSeconds(30).toNanos()); // each use restarts the timeout
    }
    String fromOther = greetFrom("127.0.0.9", proxy);
    harness.nanos.addAndGet(Duration.ofSeconds(61).toNanos());
    String afterTimeout = greetFrom("127.0.0.1", proxy);

    assertThat(fromOne).containsOnly("a").hasSize(5);
    assertThat(fromOther).isEqualTo("b");
    assertThat(afterTimeout).isEqualTo("c");
  }

  private static String greetFrom(String source, InetSocketAddress proxy) throws IOException {
    try (Socket s = connect(proxy, source)) {
      return readLine(s);
    }
  }

  @Test
  void aRefusedDialMovesToTheNextEndpoint() throws Exception {
    TcpEndpointServer live = server("127.0.0.3", "live");
    harness.put(
        service("web", Protocol.TCP, Harness.refusingEndpoint("127.0.0.2"), live.endpoint()));

    List<String> names = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      names.add(greet(harness.address(WEB)));
    }

    // Every connection first meets the refusing endpoint (the turn returns to it), then retries.
    assertThat(names).containsOnly("live").hasSize(4);
    ServicePortStats stats = harness.stats(WEB);
    assertThat(stats.dialFailures()).isEqualTo(4);
    assertThat(stats.retries()).isEqualTo(4);
    assertThat(live.accepted()).isEqualTo(4);
  }

  @Test
  void aDialTimeoutMovesToTheNextEndpoint() throws Exception {
    harness.close();
    harness =
        new Harness(
            UserspaceConfig.defaults()
                .withThreads(2)
                .withDialTimeouts(List.of(Duration.ofMillis(200), Duration.ofMillis(200))));
    try (Blackhole hole = new Blackhole("127.0.0.2")) {
      TcpEndpointServer live = server("127.0.0.3", "live");
      harness.put(service("web", Protocol.TCP, hole.endpoint(), live.endpoint()));

      long start = System.nanoTime();
      String name = greet(harness.address(WEB));
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertThat(name).isEqualTo("live");
      assertThat(millis).isBetween(150L, 3000L);
      assertThat(harness.stats(WEB).dialFailures()).isEqualTo(1);
    }
  }

  @Test
  void whenEveryDialFailsTheClientIsReset() throws Exception {
    harness.close();
    harness =
        new Harness(
            UserspaceConfig.defaults()
                .withThreads(2)
                .withDialTimeouts(List.of(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100))));
    harness.put(
        service(
            "web",
            Protocol.TCP,
            Harness.refusingEndpoint("127.0.0.2"),
            Harness.refusingEndpoint("127.0.0.3")));

    long start = System.nanoTime();
    // The reset may arrive before the client's connect returns, or at its first read.
    assertThatThrownBy(
            () -> {
              try (Socket s = connect(harness.address(WEB), null)) {
                s.getInputStream().read();
              }
            })
        .isInstanceOf(SocketException.class)
        .hasMessageContaining("reset");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
    await(() -> harness.stats(WEB).activeConnections() == 0, Duration.ofSeconds(5));
    ServicePortStats stats = harness.stats(WEB);
    assertThat(stats.dialFailures()).isEqualTo(3);
    assertThat(stats.retries()).isEqualTo(2);
  }

  @Test
  void halfCloseReachesTheEndpointAndItsReplyStillArrives() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    harness.put(service("web", Protocol.TCP, a.endpoint()));

    try (Socket s = connect(harness.address(WEB), null)) {
      assertThat(readLine(s)).isEqualTo("a");
      s.getOutputStream().write("ping\n".getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      String rest = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(rest).isEqualTo("ping\neof\n");
    }
    await(() -> harness.stats(WEB).activeConnections() == 0, Duration.ofSeconds(5));
  }

  @Test
  void countsBytesBothWays() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    harness.put(service("web", Protocol.TCP, a.endpoint()));

    byte[] payload = new byte[100_000];
    try (Socket s = connect(harness.address(WEB), null)) {
      assertThat(readLine(s)).isEqualTo("a");
      s.getOutputStream().write(payload);
      s.shutdownOutput();
      InputStream in = s.getInputStream();
      assertThat(in.readAllBytes()).hasSize(payload.length + 4);
    }
    await(() -> harness.stats(WEB).activeConnections() == 0, Duration.ofSeconds(5));
    ServicePortStats stats = harness.stats(WEB);
    assertThat(stats.bytesIn()).isEqualTo(100_000);
    assertThat(stats.bytesOut()).isEqualTo(2 + 100_000 + 4);
    assertThat(stats.totalConnections()).isEqualTo(1);
  }

  @Test
  void rejectRefusesTheConnectAtOnce() throws Exception {
    harness.put(service("web", Protocol.TCP));

    assertThatThrownBy(() -> greet(harness.address(WEB))).isInstanceOf(ConnectException.class);
  }

  @Test
  void dropLeavesTheConnectUnanswered() throws Exception {
    harness.put(
        entry("default", "web", "p", Protocol.TCP)
            .clusterIp("10.96.0.10", 80)
            .internal(EmptyVerdict.DROP)
            .build());

    try (Socket s = new Socket()) {
      assertThatThrownBy(() -> s.connect(harness.address(WEB), 500))
          .isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void aListenerKeepsItsAddressThroughRejectAndBack() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    harness.put(service("web", Protocol.TCP));
    InetSocketAddress rejecting = harness.address(WEB);
    harness.put(service("web", Protocol.TCP, a.endpoint()));
    InetSocketAddress forwarding = harness.address(WEB);
    String name = greet(forwarding);
    harness.put(service("web", Protocol.TCP));

    assertThat(forwarding).isEqualTo(rejecting);
    assertThat(name).isEqualTo("a");
    assertThat(harness.address(WEB)).isEqualTo(rejecting);
    assertThatThrownBy(() -> greet(rejecting)).isInstanceOf(ConnectException.class);
  }

  @Test
  void liveConnectionsKeepTheirEndpointAndNewOnesFollowTheList() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    TcpEndpointServer b = server("127.0.0.3", "b");
    harness.put(service("web", Protocol.TCP, a.endpoint()));

    try (Socket live = connect(harness.address(WEB), null)) {
      assertThat(readLine(live)).isEqualTo("a");
      harness.put(service("web", Protocol.TCP, b.endpoint()));

      String next = greet(harness.address(WEB));
      live.getOutputStream().write("still\n".getBytes(StandardCharsets.UTF_8));

      assertThat(next).isEqualTo("b");
      assertThat(readLine(live)).isEqualTo("still");
    }
  }

  @Test
  void removingAServicePortClosesItsListenerAndCutsItsConnections() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    harness.put(service("web", Protocol.TCP, a.endpoint()));
    InetSocketAddress address = harness.address(WEB);

    try (Socket live = connect(address, null)) {
      assertThat(readLine(live)).isEqualTo("a");
      harness.delete(WEB);

      assertThat(cut(live)).isTrue();
      assertThatThrownBy(() -> greet(address)).isInstanceOf(ConnectException.class);
      assertThat(harness.backend.localAddresses()).doesNotContainKey(WEB);
      assertThat(harness.backend.traffic().snapshot()).doesNotContainKey(WEB);
    }
  }

  @Test
  void cleanupClosesEveryListenerAndConnection() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    ServicePortKey other = key("other", Protocol.TCP);
    harness.put(service("web", Protocol.TCP, a.endpoint()), service("other", Protocol.TCP, a.endpoint()));
    InetSocketAddress web = harness.address(WEB);
    InetSocketAddress otherAddress = harness.address(other);

    try (Socket s1 = connect(web, null);
        Socket s2 = connect(otherAddress, null)) {
      assertThat(readLine(s1)).isEqualTo("a");
      assertThat(readLine(s2)).isEqualTo("a");
      harness.backend.cleanup();

      assertThat(cut(s1)).isTrue();
      assertThat(cut(s2)).isTrue();
    }
    assertThatThrownBy(() -> greet(web)).isInstanceOf(ConnectException.class);
    assertThatThrownBy(() -> greet(otherAddress)).isInstanceOf(ConnectException.class);
    assertThat(harness.backend.localAddresses()).isEmpty();
    await(() -> a.openConnections() == 0, Duration.ofSeconds(5));
  }

  /** Whether the connection is gone: reading gives end of stream or a reset, not a timeout. */
  private static boolean cut(Socket s) throws IOException {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }
}
