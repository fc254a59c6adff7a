package dev.kubeproxy.bin.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.bin.config.ConfigResolver;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.config.FlagValues;
import dev.kubeproxy.bin.config.KubeProxyConfiguration;
import dev.kubeproxy.bin.kube.NodeEvents;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.sync.ExecutorScheduler;
import dev.kubeproxy.model.sync.ServiceProxy;
import dev.kubeproxy.nftables.FakeNftKernel;
import dev.kubeproxy.nftables.NftablesBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The servers as a running proxy starts them: bindAddressHardFail, and /configz with the effective config. */
class ServersTest {
  private static EffectiveConfig config(int healthzPort, String hardFail) {
    return ConfigResolver.resolve(
        FlagValues.of(Map.of(
            "--proxy-mode", "nftables",
            "--healthz-bind-address", "127.0.0.1:" + healthzPort,
            "--metrics-bind-address", "127.0.0.1:0",
            "--bind-address-hard-fail", hardFail)),
        KubeProxyConfiguration.EMPTY, () -> "node-a");
  }

  private static ServiceProxy proxy(EffectiveConfig config, ExecutorScheduler scheduler) {
    return ServiceProxy.builder(config.proxy(), new ChangeTracker(Clock.systemUTC()),
        new NftablesBackend(new FakeNftKernel()), scheduler).build();
  }

  @Test
  @DisplayName("a healthz port in use: without bindAddressHardFail the proxy runs without it (metrics still up, /configz served); with it the start fails naming the server")
  void bindAddressHardFail() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ExecutorScheduler scheduler = ExecutorScheduler.singleThread("test-sync")) {
      EffectiveConfig soft = config(busy.getLocalPort(), "false");
      java.util.List<String> events = new java.util.ArrayList<>();
      try (Servers servers = Servers.start(soft, proxy(soft, scheduler), ProxyMetrics.create(),
          (type, reason, action, note) -> events.add(type + " " + reason + " " + action))) {
        assertThat(servers.healthz()).isNull();
        assertThat(events).containsExactly("Warning FailedToStartProxierHealthcheck StartKubeProxy");
        assertThat(servers.metrics()).isNotNull();
        String configz = Http.get(servers.metrics().address(), "/configz").body();
        assertThat(configz).startsWith("{\"kubeproxy.config.k8s.io\":{")
            .contains("\"mode\":\"nftables\"").contains("\"nodePortAddresses\":[\"primary\"]")
            .contains("\"healthzBindAddress\":\"127.0.0.1:" + busy.getLocalPort() + "\"");
      }

      EffectiveConfig hard = config(busy.getLocalPort(), "true");
      assertThatThrownBy(() -> Servers.start(hard, proxy(hard, scheduler), ProxyMetrics.create()))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("healthz server on 127.0.0.1:" + busy.getLocalPort());
    }
  }

  @Test
  @DisplayName("without bindAddressHardFail a healthz server that could not bind is retried until its port is free, then serves (with the node eligibility set meanwhile), as upstream")
  void retriesBind() throws Exception {
    ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    EffectiveConfig soft = config(busy.getLocalPort(), "false");
    try (ExecutorScheduler scheduler = ExecutorScheduler.singleThread("test-sync");
        Servers servers = Servers.start(soft, proxy(soft, scheduler), ProxyMetrics.create(),
            NodeEvents.NONE, Duration.ofMillis(50))) {
      Thread.sleep(200);
      assertThat(servers.healthz()).isNull();
      servers.nodeEligible(false);

      busy.close();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (servers.healthz() == null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }

      assertThat(servers.healthz()).isNotNull();
      assertThat(Http.get(servers.healthz().address(), "/healthz").body()).contains("\"nodeEligible\":false");
    } finally {
      busy.close();
    }
  }
}
