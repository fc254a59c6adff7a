package dev.kubeproxy.userspace;

import static dev.kubeproxy.userspace.Harness.connect;
import static dev.kubeproxy.userspace.Harness.key;
import static dev.kubeproxy.userspace.Harness.readLine;
import static dev.kubeproxy.userspace.Harness.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Endpoint churn under load: while clients run request/response connections, the endpoint list
 * changes every few milliseconds among live endpoints. No connection may fail, and each lands on
 * an endpoint that was in some list.
 */
class ChurnTest {
  private static final ServicePortKey WEB = key("web", Protocol.TCP);
  private static final Duration LOAD = Duration.ofSeconds(3);
  private static final int CLIENTS = 4;

  @Test
  void changingEndpointsUnderLoadFailsNoConnectionToALiveEndpoint() throws Exception {
    List<TcpEndpointServer> servers = new ArrayList<>();
    try (Harness harness = new Harness()) {
      for (int i = 0; i < 4; i++) {
        servers.add(TcpEndpointServer.start("127.0.0." + (i + 2), "e" + i));
      }
      harness.put(service("web", Protocol.TCP, servers.get(0).endpoint(), servers.get(1).endpoint()));
      InetSocketAddress proxy = harness.address(WEB);

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger requests = new AtomicInteger();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      Map<String, AtomicInteger> perEndpoint = new ConcurrentHashMap<>();
      List<Thread> load = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        Thread t =
            new Thread(
                () -> {
                  while (running.get()) {
                    try (Socket s = connect(proxy, null)) {
                      String name = readLine(s);
                      s.getOutputStream().write("req\n".getBytes(StandardCharsets.UTF_8));
                      String echo = readLine(s);
                      if (name == null || !"req".equals(echo)) {
                        failures.add("bad answer " + name + "/" + echo);
                      } else {
                        perEndpoint.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
                        requests.incrementAndGet();
                      }
                    } catch (IOException e) {
                      failures.add(e.toString());
                    }
                  }
                },
                "load-" + c);
        t.start();
        load.add(t);
      }

      Random random = new Random(11);
      int syncs = 0;
      long end = System.nanoTime() + LOAD.toNanos();
      while (System.nanoTime() < end) {
        List<ServiceEndpoint> subset = new ArrayList<>();
        for (TcpEndpointServer s : servers) {
          if (random.nextBoolean()) {
            subset.add(s.endpoint());
          }
        }
        if (subset.isEmpty()) {
          subset.add(servers.get(random.nextInt(servers.size())).endpoint());
        }
        harness.put(service("web", Protocol.TCP, subset.toArray(new ServiceEndpoint[0])));
        syncs++;
        Thread.sleep(5);
      }
      running.set(false);
      for (Thread t : load) {
        t.join(10_000);
      }
      System.out.printf(
          "churn: %d syncs, %d requests, per endpoint %s, failures %s%n",
          syncs, requests.get(), perEndpoint, failures.size());

      assertThat(failures).isEmpty();
      assertThat(requests.get()).isGreaterThan(200);
      assertThat(perEndpoint).containsOnlyKeys("e0", "e1", "e2", "e3");
      assertThat(harness.stats(WEB).dialFailures()).isZero();
      assertThat(harness.stats(WEB).totalConnections()).isEqualTo(requests.get());
    } finally {
      for (TcpEndpointServer s : servers) {
        s.close();
      }
    }
  }
}
