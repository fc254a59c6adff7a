package dev.kubeproxy.userspace;

import static dev.kubeproxy.userspace.Harness.await;
import static dev.kubeproxy.userspace.Harness.connect;
import static dev.kubeproxy.userspace.Harness.key;
import static dev.kubeproxy.userspace.Harness.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A slow reader stalls the proxy's copying instead of growing its memory. */
class BackpressureTest {
  private static final ServicePortKey FIREHOSE = key("firehose", Protocol.TCP);

  /** An endpoint that writes as fast as the connection takes, counting what it wrote. */
  private static final class Firehose implements AutoCloseable {
    final ServerSocket server;
    final AtomicLong written = new AtomicLong();

    Firehose(String ip) throws IOException {
      server = new ServerSocket(0, 10, InetAddress.getByName(ip));
      Thread t =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  OutputStream out = s.getOutputStream();
                  byte[] chunk = new byte[64 * 1024];
                  while (true) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                  }
                } catch (IOException e) {
                  // the client went away: done
                }
              },
              "firehose");
      t.setDaemon(true);
      t.start();
    }

    ServiceEndpoint endpoint() {
      return new ServiceEndpoint(IpAddress.of(server.getInetAddress()), server.getLocalPort(), false, false);
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  @Test
  void aClientThatDoesNotReadStallsTheEndpointAndTheProxyHoldsAtMostItsBuffer() throws Exception {
    int buffer = 64 * 1024;
    try (Harness harness = new Harness(UserspaceConfig.defaults().withThreads(2).withBufferBytes(buffer));
        Firehose firehose = new Firehose("127.0.0.2")) {
      harness.put(service("firehose", Protocol.TCP, firehose.endpoint()));
      try (Socket client = connect(harness.address(FIREHOSE), null)) {
        long relayed = settle(() -> harness.stats(FIREHOSE).bytesOut());
        long sent = firehose.written.get();

        // What the proxy read but the client's socket did not take is at most one buffer; the rest
        // sits in kernel socket buffers, which the kernel bounds.
        System.out.printf("slow reader: endpoint wrote %d bytes, proxy relayed %d, then both stalled%n", sent, relayed);
        // (Linux caps socket buffers at a few MiB: tcp_rmem / tcp_wmem maxima.)
        assertThat(relayed).isLessThan(16L << 20);
        assertThat(sent - relayed).isLessThan(16L << 20);

        // Reading resumes the flow.
        InputStream in = client.getInputStream();
        long read = 0;
        byte[] sink = new byte[64 * 1024];
        while (read < relayed + (32L << 20)) {
          int n = in.read(sink);
          assertThat(n).isPositive();
          read += n;
        }
        assertThat(harness.stats(FIREHOSE).bytesOut()).isGreaterThan(relayed);
      }
      await(() -> harness.stats(FIREHOSE).activeConnections() == 0, Duration.ofSeconds(5));
    }
  }

  /** Waits until {@code counter} stops moving for half a second; returns its value. */
  private static long settle(java.util.function.LongSupplier counter) throws InterruptedException {
    long last = -1;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      long now = counter.getAsLong();
      if (now == last && now > 0) {
        return now;
      }
      last = now;
      Thread.sleep(500);
    }
    throw new AssertionError("the proxy kept copying to a client that does not read: " + last);
  }
}
