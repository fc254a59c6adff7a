package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.sync.ManualScheduler;
import dev.kubeproxy.model.sync.ServiceProxy;
import dev.kubeproxy.model.sync.SyncPeriods;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/**
 * The canary checked while the proxy runs: a firewall reload that flushes nat is noticed by the
 * sync engine's monitor within a syncPeriod, and the full sync it triggers puts every rule back.
 */
class IptCanaryMonitorTest {
  @Test
  void flushedTableIsRepairedByTheNextSync() {
    ManualScheduler scheduler = new ManualScheduler();
    FakeIptKernel kernel = new FakeIptKernel();
    ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
    ProxyConfig config = ProxyConfig.builder("node-1").families(IpFamily.V4).build();
    ServiceProxy proxy = ServiceProxy.builder(config, tracker, new IptablesBackend(kernel), scheduler)
        .build();
    tracker.upsertService(Service.builder("default", "web").clusterIp("10.96.0.10")
        .port("http", "TCP", 80).build());
    tracker.upsertEndpointSlice(EndpointSlice.builder("default", "web-1").serviceName("web")
        .port("http", "TCP", 8080).endpoint("10.244.1.10", "node-1").build());
    tracker.markServicesSynced();
    tracker.markEndpointSlicesSynced();
    proxy.start();
    scheduler.runDue();
    String before = kernel.save(IpFamily.V4, IptTable.NAT);
    assertThat(before).contains("-j KUBE-SVC-").contains(":" + IptNames.CANARY);

    kernel.flushTable(IpFamily.V4, IptTable.NAT);
    assertThat(kernel.save(IpFamily.V4, IptTable.NAT)).doesNotContain("KUBE-");
    scheduler.advance(SyncPeriods.DEFAULTS.syncPeriod());

    assertThat(kernel.save(IpFamily.V4, IptTable.NAT)).isEqualTo(before);
    assertThat(proxy.status().lastSyncFull()).isTrue();
    proxy.stop();
  }
}
