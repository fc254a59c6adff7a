package dev.kubeproxy.userspace;

import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.api.testing.TableFixtures.table;
import static dev.kubeproxy.userspace.Harness.greet;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.nftables.FakeNftKernel;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Node mode against the fake nftables kernel: listeners on ports of the range (reached here on
 * loopback only) and the redirect table that points the service's frontends at them.
 */
class NodeModeBackendTest {
  private final FakeNftKernel nft = new FakeNftKernel();
  private final UserspaceBackend backend =
      UserspaceBackend.node(nft, new PortRange(24000, 24999), UserspaceConfig.defaults().withThreads(1), System::nanoTime);
  private TcpEndpointServer pod;

  @AfterEach
  void tearDown() throws Exception {
    backend.close();
    if (pod != null) {
      pod.close();
    }
  }

  private ForwardingTable tableWith(ServiceEntry e) {
    return table(IpFamily.V4).nodeAddresses("192.0.2.1").with(e).build();
  }

  @Test
  void aSyncOpensListenersAndPointsTheFrontendsAtThem() throws Exception {
    pod = TcpEndpointServer.start("127.0.0.2", "web-1");
    ServiceEntry web = entry("default", "web", "http", Protocol.TCP)
        .clusterIp("10.96.0.10", 80).nodePort(30080).endpoints(pod.endpoint()).build();

    backend.sync(SyncRequest.full(TableChange.initial(tableWith(web))));

    assertThat(nft.elements(RedirectRules.table(IpFamily.V4), RedirectRules.SERVICE_PORTS))
        .containsExactly("10.96.0.10 . tcp . 80 : 192.0.2.1 . 24000");
    assertThat(nft.elements(RedirectRules.table(IpFamily.V4), RedirectRules.NODEPORT_PORTS))
        .containsExactly("tcp . 30080 : 192.0.2.1 . 24001");
    assertThat(greet(new InetSocketAddress("127.0.0.1", 24000))).isEqualTo("web-1");
    assertThat(greet(new InetSocketAddress("127.0.0.1", 24001))).isEqualTo("web-1");
  }

  @Test
  void aRemovedServiceLosesItsElementsAndListenersInAPartialSync() throws Exception {
    pod = TcpEndpointServer.start("127.0.0.2", "web-1");
    ServiceEntry web = entry("default", "web", "http", Protocol.TCP)
        .clusterIp("10.96.0.10", 80).endpoints(pod.endpoint()).build();
    ForwardingTable first = tableWith(web);
    backend.sync(SyncRequest.full(TableChange.initial(first)));
    ForwardingTable empty = table(IpFamily.V4).nodeAddresses("192.0.2.1").build();
    int before = nft.transactions();

    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, first, empty, ImmutableSet.of(web.key()))));

    assertThat(nft.transactions()).isEqualTo(before + 1);
    assertThat(nft.elements(RedirectRules.table(IpFamily.V4), RedirectRules.SERVICE_PORTS)).isEmpty();
    assertThat(backend.localAddresses()).isEmpty();
  }

  @Test
  void cleanupDeletesTheRedirectTablesAndClosesTheListeners() throws Exception {
    pod = TcpEndpointServer.start("127.0.0.2", "web-1");
    ServiceEntry web = entry("default", "web", "http", Protocol.TCP)
        .clusterIp("10.96.0.10", 80).endpoints(pod.endpoint()).build();
    backend.sync(SyncRequest.full(TableChange.initial(tableWith(web))));

    backend.cleanup();

    assertThat(nft.hasTable(RedirectRules.table(IpFamily.V4))).isFalse();
    assertThat(nft.hasTable(RedirectRules.table(IpFamily.V6))).isFalse();
    assertThat(backend.localAddresses()).isEmpty();
  }
}
