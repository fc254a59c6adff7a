package dev.kubeproxy.userspace;

import static dev.kubeproxy.api.testing.TableFixtures.ip;
import static dev.kubeproxy.api.testing.TableFixtures.tableOf;
import static dev.kubeproxy.userspace.Harness.greet;
import static dev.kubeproxy.userspace.Harness.key;
import static dev.kubeproxy.userspace.Harness.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the backend turns table changes into listeners. */
class UserspaceBackendTest {
  private static final ServicePortKey WEB = key("web", Protocol.TCP);
  private static final ServicePortKey API = key("api", Protocol.TCP);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private UserspaceBackend backend =
      UserspaceBackend.embedded(
          EmbeddedPlan.ephemeral(List.of(Harness.LOOPBACK)), UserspaceConfig.defaults().withThreads(1));

  @AfterEach
  void tearDown() throws Exception {
    backend.close();
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
  void isTheUserspaceMode() {
    assertThat(backend.mode()).isEqualTo("userspace");
  }

  @Test
  void aPartialSyncLooksOnlyAtTheChangedKeys() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    TcpEndpointServer b = server("127.0.0.3", "b");
    ForwardingTable first = tableOf(service("web", Protocol.TCP, a.endpoint()));
    backend.sync(SyncRequest.full(TableChange.initial(first)));

    ForwardingTable second =
        tableOf(service("web", Protocol.TCP, b.endpoint()), service("api", Protocol.TCP, b.endpoint()));
    backend.sync(
        SyncRequest.partial(new TableChange(IpFamily.V4, first, second, ImmutableSet.of(API))));

    assertThat(greet(backend.localAddress(WEB).orElseThrow())).isEqualTo("a");
    assertThat(greet(backend.localAddress(API).orElseThrow())).isEqualTo("b");
  }

  @Test
  void aFullSyncAppliesEveryKeyAndRemovesWhatTheTableLacks() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    TcpEndpointServer b = server("127.0.0.3", "b");
    ForwardingTable first =
        tableOf(service("web", Protocol.TCP, a.endpoint()), service("api", Protocol.TCP, a.endpoint()));
    backend.sync(SyncRequest.full(TableChange.initial(first)));
    InetSocketAddress apiBefore = backend.localAddress(API).orElseThrow();

    ForwardingTable second = tableOf(service("api", Protocol.TCP, b.endpoint()));
    backend.sync(SyncRequest.full(new TableChange(IpFamily.V4, first, second, ImmutableSet.of())));

    assertThat(backend.localAddresses()).containsOnlyKeys(API);
    assertThat(backend.localAddress(API)).contains(apiBefore);
    assertThat(greet(apiBefore)).isEqualTo("b");
  }

  @Test
  void aPartialSyncWithoutChangesDoesNothing() throws Exception {
    TcpEndpointServer a = server("127.0.0.2", "a");
    ForwardingTable table = tableOf(service("web", Protocol.TCP, a.endpoint()));
    assertThat(backend.sync(SyncRequest.full(TableChange.initial(table))).operations()).isEqualTo(1);

    assertThat(
            backend
                .sync(SyncRequest.partial(new TableChange(IpFamily.V4, table, table, ImmutableSet.of())))
                .operations())
        .isZero();
  }

  @Test
  void aListenerThatCannotBindFailsTheSyncButTheOthersAreApplied() throws Exception {
    backend.close();
    backend =
        UserspaceBackend.embedded(
            EmbeddedPlan.onServicePorts(List.of(Harness.LOOPBACK)), UserspaceConfig.defaults().withThreads(1));
    TcpEndpointServer a = server("127.0.0.2", "a");
    ServerSocket taken = new ServerSocket(0, 1, Harness.LOOPBACK.toInetAddress());
    int free = freePort();
    ForwardingTable table =
        tableOf(
            withClusterPort("web", a, taken.getLocalPort()), withClusterPort("api", a, free));

    assertThatThrownBy(() -> backend.sync(SyncRequest.full(TableChange.initial(table))))
        .isInstanceOf(SyncException.class)
        .hasMessageContaining("default/web:p");
    assertThat(greet(new InetSocketAddress("127.0.0.1", free))).isEqualTo("a");

    taken.close();
    backend.sync(SyncRequest.full(new TableChange(IpFamily.V4, table, table, ImmutableSet.of())));
    assertThat(backend.localAddress(WEB)).contains(new InetSocketAddress("127.0.0.1", taken.getLocalPort()));
    assertThat(greet(backend.localAddress(WEB).orElseThrow())).isEqualTo("a");
  }

  @Test
  void eachFamilyListensOnItsOwnBindAddresses() throws Exception {
    backend.close();
    backend =
        UserspaceBackend.embedded(
            EmbeddedPlan.ephemeral(List.of(Harness.LOOPBACK, ip("::1"))),
            UserspaceConfig.defaults().withThreads(1));
    TcpEndpointServer v4 = server("127.0.0.2", "v4");
    TcpEndpointServer v6 = server("::1", "v6");
    ForwardingTable four = tableOf(service("web", Protocol.TCP, v4.endpoint()));
    ForwardingTable six =
        dev.kubeproxy.api.testing.TableFixtures.table(IpFamily.V6)
            .with(
                dev.kubeproxy.api.testing.TableFixtures.entry("default", "web", "p", Protocol.TCP)
                    .clusterIp("fd00::10", 80)
                    .endpoints(v6.endpoint())
                    .build())
            .build();

    backend.sync(SyncRequest.full(TableChange.initial(four), TableChange.initial(six)));

    List<InetSocketAddress> addresses = backend.localAddresses().get(WEB);
    assertThat(addresses).hasSize(2);
    List<String> names = new ArrayList<>();
    for (InetSocketAddress address : addresses) {
      names.add(greet(address));
    }
    assertThat(names).containsExactlyInAnyOrder("v4", "v6");
    assertThat(backend.localAddressesJson()).contains("\"127.0.0.1:").contains("\"[::1]:");
  }

  private static dev.kubeproxy.api.ServiceEntry withClusterPort(String name, TcpEndpointServer s, int port) {
    return dev.kubeproxy.api.testing.TableFixtures.entry("default", name, "p", Protocol.TCP)
        .clusterIp("10.96.0.10", port)
        .endpoints(s.endpoint())
        .build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, Harness.LOOPBACK.toInetAddress())) {
      return s.getLocalPort();
    }
  }
}
