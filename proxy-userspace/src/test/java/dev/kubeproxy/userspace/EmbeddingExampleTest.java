package dev.kubeproxy.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.sync.ExecutorScheduler;
import dev.kubeproxy.model.sync.ServiceProxy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The embedding example for the README's library section: a program feeds a Service and its
 * EndpointSlice to the tracker, runs the userspace backend embedded on 127.0.0.1 (no root, no
 * kernel rules) and connects to the Service through it.
 */
class EmbeddingExampleTest {
  @Test
  void aProgramReachesAServiceThroughTheEmbeddedProxy() throws Exception {
    try (TcpEndpointServer pod = TcpEndpointServer.start("127.0.0.2", "web-1");
        ExecutorScheduler scheduler = ExecutorScheduler.singleThread("sync")) {
      int podPort = pod.address().getPort();
      // --- the example ---
      ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
      UserspaceBackend backend = UserspaceBackend.embedded(List.of(IpAddress.parse("127.0.0.1")));
      ServiceProxy proxy = ServiceProxy.builder(ProxyConfig.defaults("node-1"), tracker, backend, scheduler).build();
      tracker.upsertService(
          Service.builder("default", "web").clusterIp("10.96.0.10").port("http", "TCP", 80).build());
      tracker.upsertEndpointSlice(
          EndpointSlice.builder("default", "web-1").serviceName("web").allowLoopback()
              .port("http", "TCP", podPort).endpoint("127.0.0.2", "node-1").build());
      tracker.markServicesSynced();
      tracker.markEndpointSlicesSynced();
      proxy.syncOnce();
      InetSocketAddress web =
          backend.localAddress(ServicePortKey.of("default", "web", "http", Protocol.TCP)).orElseThrow();
      String greeting;
      try (Socket socket = new Socket(web.getAddress(), web.getPort())) {
        greeting = new BufferedReader(
            new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
      }
      backend.close();
      // --- end ---
      assertThat(web.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
      assertThat(greeting).isEqualTo("web-1");
      assertThat(backend.localAddresses()).isEmpty();
    }
  }
}
