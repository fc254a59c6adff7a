package dev.kubeproxy.userspace;

import static dev.kubeproxy.userspace.Harness.await;
import static dev.kubeproxy.userspace.Harness.key;
import static dev.kubeproxy.userspace.Harness.readLine;
import static dev.kubeproxy.userspace.Harness.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Thousands of concurrent connections through the proxy, all held open at once, within a
 * bounded heap and time; then shutdown cuts them all.
 *
 * <p>The count defaults to 4,000 ({@code -Duserspace.connections=N}): in one process each
 * connection costs four descriptors (client, proxy's two sides, endpoint), and this machine's
 * hard limit is 20,000, so 10,000 cannot be held in-process here; the proxy alone needs two.
 */
class ManyConnectionsTest {
  private static final ServicePortKey WEB = key("web", Protocol.TCP);
  private static final int CONNECTIONS = Integer.getInteger("userspace.connections", 4000);

  @Test
  void holdsThousandsOfConnectionsInABoundedHeapAndShutdownCutsThemAll() throws Exception {
    List<Socket> clients = new ArrayList<>(CONNECTIONS);
    try (Harness harness = new Harness();
        TcpEndpointServer a = TcpEndpointServer.start("127.0.0.2", "a");
        TcpEndpointServer b = TcpEndpointServer.start("127.0.0.3", "b")) {
      harness.put(service("web", Protocol.TCP, a.endpoint(), b.endpoint()));
      InetSocketAddress proxy = harness.address(WEB);
      long heapBefore = usedHeapAfterGc();
      long start = System.nanoTime();

      try {
        for (int i = 0; i < CONNECTIONS; i++) {
          Socket s = new Socket();
          clients.add(s);
          s.setSoTimeout(10_000);
          s.connect(proxy, 10_000);
        }
        for (Socket s : clients) {
          assertThat(readLine(s)).isIn("a", "b");
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        long heapPerConnection = (usedHeapAfterGc() - heapBefore) / CONNECTIONS;
        System.out.printf(
            "%d concurrent connections opened and greeted in %d ms; heap %d bytes per connection"
                + " (client, proxy and endpoint objects together)%n",
            CONNECTIONS, millis, heapPerConnection);

        assertThat(harness.stats(WEB).activeConnections()).isEqualTo(CONNECTIONS);
        assertThat(a.accepted() + b.accepted()).isEqualTo(CONNECTIONS);
        assertThat(a.accepted()).isEqualTo(CONNECTIONS / 2);
        assertThat(heapPerConnection).isLessThan(16 * 1024);
        assertThat(millis).isLessThan(60_000);

        harness.backend.cleanup();

        int cut = 0;
        for (Socket s : clients) {
          cut += cut(s) ? 1 : 0;
        }
        assertThat(cut).isEqualTo(CONNECTIONS);
        await(() -> a.openConnections() + b.openConnections() == 0, Duration.ofSeconds(10));
      } finally {
        for (Socket s : clients) {
          s.close();
        }
      }
    }
  }

  private static boolean cut(Socket s) throws IOException {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
