package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector.Mode;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.sync.ExecutorScheduler;
import dev.kubeproxy.model.sync.ServiceProxy;
import dev.kubeproxy.model.trace.Packet;
import dev.kubeproxy.model.trace.Trace;
import dev.kubeproxy.model.trace.TraceResult;
import dev.kubeproxy.nftables.FakeNftKernel;
import dev.kubeproxy.nftables.NftablesBackend;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's "Using the library" snippet, kept compiling and working. */
class LibraryUsageTest {
  @Test
  @DisplayName("the README's embedding example programs the fake kernel and traces a packet")
  void readmeSnippet() {
    try (ExecutorScheduler scheduler = ExecutorScheduler.singleThread("sync")) {
      FakeNftKernel kernel = new FakeNftKernel();
      // --- as in README.md ---
      ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
      ProxyConfig config = ProxyConfig.builder("node-1").clusterCidrs(List.of(Cidr.parse("10.244.0.0/16"))).detectLocal(Mode.CLUSTER_CIDR).build();
      Backend backend = new NftablesBackend(kernel);
      ServiceProxy proxy = ServiceProxy.builder(config, tracker, backend, scheduler).build();
      tracker.upsertService(Service.builder("default", "web").clusterIp("10.96.0.10").port("http", "TCP", 80).build());
      tracker.upsertEndpointSlice(EndpointSlice.builder("default", "web-1").serviceName("web")
          .port("http", "TCP", 8080).endpoint("10.244.1.10", "node-1").build());
      tracker.markServicesSynced();
      tracker.markEndpointSlicesSynced();
      proxy.syncOnce();
      ForwardingTable table = proxy.committedTables().get(IpFamily.V4);
      TraceResult verdict = Trace.of(table, Packet.fromPod("10.244.1.5", "10.96.0.10", 80, Protocol.TCP));
      // --- end ---
      assertThat(verdict.verdict()).isEqualTo(TraceResult.Verdict.FORWARD);
      assertThat(verdict.reachableEndpoints()).extracting(Object::toString).containsExactly("10.244.1.10:8080");
      assertThat(kernel.dump()).contains("10.96.0.10");
    }
  }
}
