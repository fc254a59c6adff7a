package dev.kubeproxy.userspace;

import static dev.kubeproxy.userspace.Harness.await;
import static dev.kubeproxy.userspace.Harness.key;
import static dev.kubeproxy.userspace.Harness.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** UDP through the embedded proxy to loopback endpoint servers. */
class UdpProxyTest {
  private static final ServicePortKey DNS = key("dns", Protocol.UDP);

  private Harness harness =
      new Harness(UserspaceConfig.defaults().withThreads(2).withUdpIdleTimeout(Duration.ofSeconds(5)));
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private UdpEndpointServer server(String ip, String name) throws IOException {
    UdpEndpointServer s = UdpEndpointServer.start(ip, name);
    closeables.add(s);
    return s;
  }

  private DatagramSocket client() throws IOException {
    DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    s.setSoTimeout(2000);
    closeables.add(s);
    return s;
  }

  /** Sends {@code text} to the proxy; returns the reply and checks it came from the proxy's address. */
  private String ask(DatagramSocket client, String text) throws IOException {
    InetSocketAddress proxy = harness.address(DNS);
    byte[] out = text.getBytes(StandardCharsets.UTF_8);
    client.send(new DatagramPacket(out, out.length, proxy));
    DatagramPacket in = new DatagramPacket(new byte[1500], 1500);
    client.receive(in);
    assertThat(in.getSocketAddress()).isEqualTo(proxy);
    return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
  }

  @Test
  void eachNewClientSessionTakesTheNextEndpointAndRepliesComeFromTheServiceAddress() throws Exception {
    UdpEndpointServer a = server("127.0.0.2", "a");
    UdpEndpointServer b = server("127.0.0.3", "b");
    UdpEndpointServer c = server("127.0.0.4", "c");
    harness.put(service("dns", Protocol.UDP, b.endpoint(), c.endpoint(), a.endpoint()));

    List<String> replies = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      replies.add(ask(client(), "q" + i));
    }

    assertThat(replies).containsExactly("a:q0", "b:q1", "c:q2", "a:q3", "b:q4", "c:q5");
    assertThat(harness.stats(DNS).totalConnections()).isEqualTo(6);
  }

  @Test
  void aClientKeepsItsSessionAndEndpoint() throws Exception {
    UdpEndpointServer a = server("127.0.0.2", "a");
    UdpEndpointServer b = server("127.0.0.3", "b");
    harness.put(service("dns", Protocol.UDP, a.endpoint(), b.endpoint()));

    DatagramSocket client = client();
    List<String> replies = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      replies.add(ask(client, "x"));
    }

    assertThat(replies).containsOnly("a:x").hasSize(5);
    assertThat(a.sources()).hasSize(1);
    assertThat(harness.stats(DNS).activeConnections()).isEqualTo(1);
    assertThat(harness.stats(DNS).bytesIn()).isEqualTo(5);
    assertThat(harness.stats(DNS).bytesOut()).isEqualTo(5 * 3);
  }

  @Test
  void idleSessionsExpireAndTheNextDatagramStartsANewOne() throws Exception {
    harness.close();
    harness =
        new Harness(UserspaceConfig.defaults().withThreads(2).withUdpIdleTimeout(Duration.ofMillis(200)));
    UdpEndpointServer a = server("127.0.0.2", "a");
    UdpEndpointServer b = server("127.0.0.3", "b");
    harness.put(service("dns", Protocol.UDP, a.endpoint(), b.endpoint()));
    DatagramSocket client = client();

    String first = ask(client, "1");
    await(() -> harness.stats(DNS).activeConnections() == 0, Duration.ofSeconds(3));
    String second = ask(client, "2");

    assertThat(first).isEqualTo("a:1");
    assertThat(second).isEqualTo("b:2");
    assertThat(harness.stats(DNS).totalConnections()).isEqualTo(2);
  }

  @Test
  void aRefusingEndpointEndsTheSessionAndTheNextDatagramMovesOn() throws Exception {
    UdpEndpointServer live = server("127.0.0.3", "live");
    harness.put(service("dns", Protocol.UDP, deadUdpEndpoint("127.0.0.2"), live.endpoint()));
    DatagramSocket client = client();
    client.setSoTimeout(300);

    assertThatThrownBy(() -> ask(client, "lost")).isInstanceOf(SocketTimeoutException.class);
    await(() -> harness.stats(DNS).activeConnections() == 0, Duration.ofSeconds(3));
    String reply = ask(client, "again");

    assertThat(reply).isEqualTo("live:again");
    assertThat(harness.stats(DNS).dialFailures()).isEqualTo(1);
  }

  @Test
  void newClientsBeyondTheSessionLimitAreDroppedUntilASessionExpires() throws Exception {
    harness.close();
    harness =
        new Harness(
            UserspaceConfig.defaults()
                .withThreads(2)
                .withUdpSessionLimit(2)
                .withUdpIdleTimeout(Duration.ofMillis(300)));
    UdpEndpointServer a = server("127.0.0.2", "a");
    harness.put(service("dns", Protocol.UDP, a.endpoint()));
    DatagramSocket first = client();
    DatagramSocket second = client();
    DatagramSocket third = client();
    third.setSoTimeout(100);

    assertThat(ask(first, "1")).isEqualTo("a:1");
    assertThat(ask(second, "2")).isEqualTo("a:2");
    assertThatThrownBy(() -> ask(third, "3")).isInstanceOf(SocketTimeoutException.class);
    await(() -> harness.stats(DNS).activeConnections() == 0, Duration.ofSeconds(3));
    third.setSoTimeout(2000);
    assertThat(ask(third, "3")).isEqualTo("a:3");
  }

  @Test
  void rejectAnswersPortUnreachable() throws Exception {
    harness.put(service("dns", Protocol.UDP));

    assertThat(harness.address(DNS).getPort()).isPositive();
    try (DatagramChannel client = DatagramChannel.open()) {
      client.connect(harness.address(DNS));
      client.write(ByteBuffer.wrap(new byte[] {1}));
      assertThatThrownBy(() -> client.read(ByteBuffer.allocate(10)))
          .isInstanceOf(PortUnreachableException.class);
    }
  }

  @Test
  void removingTheServicePortClosesItsSessions() throws Exception {
    UdpEndpointServer a = server("127.0.0.2", "a");
    harness.put(service("dns", Protocol.UDP, a.endpoint()));
    assertThat(ask(client(), "x")).isEqualTo("a:x");
    InetSocketAddress address = harness.address(DNS);

    harness.delete(DNS);

    assertThat(harness.backend.traffic().snapshot()).doesNotContainKey(DNS);
    try (DatagramChannel client = DatagramChannel.open()) {
      client.connect(address);
      client.write(ByteBuffer.wrap(new byte[] {1}));
      assertThatThrownBy(() -> client.read(ByteBuffer.allocate(10)))
          .isInstanceOf(PortUnreachableException.class);
    }
  }

  private static ServiceEndpoint deadUdpEndpoint(String ip) throws IOException {
    int port;
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(ip, 0))) {
      port = s.getLocalPort();
    }
    return new ServiceEndpoint(IpAddress.parse(ip), port, false, false);
  }
}
