package dev.kubeproxy.bin.server;

import static dev.kubeproxy.bin.server.Tables.entry;
import static dev.kubeproxy.bin.server.Tables.ep;
import static dev.kubeproxy.bin.server.Tables.tables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.TableFacts;
import dev.kubeproxy.bin.server.ServiceHealthServers.HealthCheck;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ServiceHealthServersTest {
  private static final NamespacedName LB = NamespacedName.of("shop", "web");

  private final AtomicBoolean proxyHealthy = new AtomicBoolean(true);
  private final ServiceHealthServers servers = ServiceHealthServers.create(
      List.of(IpAddress.parse("127.0.0.1")), proxyHealthy::get);

  @AfterEach
  void close() {
    servers.close();
  }

  private static ServiceEntry lb(String port, IpFamily family, int hcnp, List<ServiceEndpoint> local,
      List<ServiceEndpoint> cluster) {
    return entry(LB.namespace(), LB.name(), port, family, hcnp, false, true, local, cluster);
  }

  @Test
  @DisplayName("localEndpoints counts distinct local ready IPs across ports and families; remote and terminating ones count 0")
  void countsDistinctLocalReadyIps() {
    Map<NamespacedName, HealthCheck> checks = ServiceHealthServers.healthChecks(tables(
        lb("http", IpFamily.V4, 32000,
            List.of(ep("10.0.1.5", 8080, true, false), ep("10.0.1.6", 8080, true, true)),
            List.of(ep("10.0.1.5", 8080, true, false), ep("10.0.2.9", 8080, false, false))),
        // Same pod IP on another port: still one endpoint.
        lb("https", IpFamily.V4, 32000,
            List.of(ep("10.0.1.5", 8443, true, false)), List.of(ep("10.0.1.5", 8443, true, false))),
        lb("http", IpFamily.V6, 32000,
            List.of(ep("fd00:1::5", 8080, true, false)), List.of(ep("fd00:1::5", 8080, true, false))),
        // A ClusterIP service without a health-check port is not served.
        entry("shop", "internal", "", IpFamily.V4, 0, false, false,
            List.of(ep("10.0.1.7", 80, true, false)), List.of(ep("10.0.1.7", 80, true, false)))));

    assertThat(checks).containsExactly(Map.entry(LB, new HealthCheck(32000, 2)));
  }

  @Test
  @DisplayName("a local ready endpoint only in the cluster list still counts")
  void countsClusterListToo() {
    Map<NamespacedName, HealthCheck> checks = ServiceHealthServers.healthChecks(tables(
        lb("http", IpFamily.V4, 32000, List.of(), List.of(ep("10.0.1.5", 80, true, false)))));

    assertThat(checks.get(LB).localEndpoints()).isEqualTo(1);
  }

  @Test
  @DisplayName("an update with only the changed keys ends where a full update does: port moves, counts change, services go")
  void incrementalUpdateEqualsFull() {
    ServiceEntry other = entry("shop", "api", "", IpFamily.V4, 32001, false, true,
        List.of(ep("10.0.1.8", 80, true, false)), List.of(ep("10.0.1.8", 80, true, false)));
    servers.update(tables(
        lb("http", IpFamily.V4, 32002, List.of(ep("10.0.1.5", 80, true, false)), List.of()),
        other));
    assertThat(servers.ports()).containsOnlyKeys(LB, other.key().service());

    // web moves to another port and gains a local endpoint; api goes away.
    ServiceEntry moved = lb("http", IpFamily.V4, 32003,
        List.of(ep("10.0.1.5", 80, true, false), ep("10.0.1.6", 80, true, false)), List.of());
    Map<IpFamily, dev.kubeproxy.api.ForwardingTable> next = tables(moved);
    servers.update(next, Map.of(IpFamily.V4, java.util.Set.of(moved.key(), other.key())));

    assertThat(servers.ports()).containsExactly(Map.entry(LB, 32003));
    assertThat(Http.get("127.0.0.1", 32003, "/").body()).contains("\"localEndpoints\":2");
    assertThat(ServiceHealthServers.healthChecks(next))
        .containsExactly(Map.entry(LB, new HealthCheck(32003, 2)));
  }

  @Test
  @DisplayName("when two services claim one healthCheckNodePort the first by name keeps it")
  void duplicatePort() {
    Map<NamespacedName, HealthCheck> checks = ServiceHealthServers.healthChecks(tables(
        entry("b", "svc", "", IpFamily.V4, 32000, false, true, List.of(), List.of()),
        entry("a", "svc", "", IpFamily.V4, 32000, false, true, List.of(), List.of())));

    assertThat(checks).containsOnlyKeys(NamespacedName.of("a", "svc"));
  }

  @Test
  @DisplayName("with local endpoints and a healthy proxy any path answers 200 with upstream's body and headers")
  void healthyService() {
    int port = Http.freePort();
    servers.update(tables(lb("http", IpFamily.V4, port,
        List.of(ep("10.0.1.5", 80, true, false), ep("10.0.1.6", 80, true, false)), List.of())));

    HttpResponse<String> r = Http.get("127.0.0.1", port, "/any/path");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(
        "{\"service\":{\"namespace\":\"shop\",\"name\":\"web\"},\"localEndpoints\":2,"
            + "\"serviceProxyHealthy\":true}");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(r.headers().firstValue("X-Load-Balancing-Endpoint-Weight")).hasValue("2");
    assertThat(servers.ports()).containsExactly(Map.entry(LB, port));
  }

  @Test
  @DisplayName("the same server switches 200 -> 503 when local endpoints go away or the proxy turns unhealthy, and back")
  void switches() {
    int port = Http.freePort();
    var withLocal = tables(lb("http", IpFamily.V4, port,
        List.of(ep("10.0.1.5", 80, true, false)), List.of(ep("10.0.1.5", 80, true, false))));
    servers.update(withLocal);
    assertThat(Http.get("127.0.0.1", port, "/").statusCode()).isEqualTo(200);

    servers.update(tables(lb("http", IpFamily.V4, port,
        List.of(ep("10.0.1.5", 80, true, true)), List.of(ep("10.0.9.9", 80, false, false)))));
    HttpResponse<String> noLocal = Http.get("127.0.0.1", port, "/");
    assertThat(noLocal.statusCode()).isEqualTo(503);
    assertThat(noLocal.body()).contains("\"localEndpoints\":0").contains("\"serviceProxyHealthy\":true");
    assertThat(noLocal.headers().firstValue("X-Load-Balancing-Endpoint-Weight")).hasValue("0");

    servers.update(withLocal);
    proxyHealthy.set(false);
    HttpResponse<String> unhealthy = Http.get("127.0.0.1", port, "/");
    assertThat(unhealthy.statusCode()).isEqualTo(503);
    assertThat(unhealthy.body()).contains("\"localEndpoints\":1").contains("\"serviceProxyHealthy\":false");

    proxyHealthy.set(true);
    assertThat(Http.get("127.0.0.1", port, "/").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("servers appear for new health-check ports, move when the port changes and disappear with the service")
  void reconciles() {
    // Two calls of freePort can return one port twice (the first socket is closed again).
    int[] ports = Http.freePorts(2);
    int first = ports[0];
    int second = ports[1];
    NamespacedName other = NamespacedName.of("shop", "api");
    ServiceEntry api = entry("shop", "api", "", IpFamily.V4, second, false, true,
        List.of(ep("10.0.1.8", 80, true, false)), List.of());

    servers.update(tables(lb("http", IpFamily.V4, first, List.of(), List.of()), api));
    assertThat(servers.ports()).containsOnly(Map.entry(LB, first), Map.entry(other, second));
    assertThat(Http.canBind("127.0.0.1", first)).isFalse();
    assertThat(Http.get("127.0.0.1", second, "/").body()).contains("\"name\":\"api\"");

    int moved = Http.freePort();
    servers.update(tables(lb("http", IpFamily.V4, moved, List.of(), List.of()), api));
    assertThat(servers.ports()).containsOnly(Map.entry(LB, moved), Map.entry(other, second));
    assertThat(Http.canBind("127.0.0.1", first)).isTrue();
    assertThat(Http.get("127.0.0.1", moved, "/").statusCode()).isEqualTo(503);

    servers.update(tables(api));
    assertThat(servers.ports()).containsOnly(Map.entry(other, second));
    assertThat(Http.canBind("127.0.0.1", moved)).isTrue();

    servers.update(Map.of());
    assertThat(servers.ports()).isEmpty();
    assertThat(Http.canBind("127.0.0.1", second)).isTrue();
  }

  @Test
  @DisplayName("every bind address gets a listener for the port")
  void severalBindAddresses() {
    int port = Http.freePort();
    try (ServiceHealthServers both = ServiceHealthServers.create(
        List.of(IpAddress.parse("127.0.0.1"), IpAddress.parse("127.0.0.2")), () -> true)) {
      both.update(tables(lb("http", IpFamily.V4, port,
          List.of(ep("10.0.1.5", 80, true, false)), List.of())));

      assertThat(Http.get("127.0.0.1", port, "/").statusCode()).isEqualTo(200);
      assertThat(Http.get("127.0.0.2", port, "/").statusCode()).isEqualTo(200);
    }
    assertThat(Http.canBind("127.0.0.1", port)).isTrue();
    assertThat(Http.canBind("127.0.0.2", port)).isTrue();
  }

  /** The tables with NodePorts restricted to {@code cidr}. */
  private static Map<IpFamily, ForwardingTable> nodePortsOn(
      Map<IpFamily, ForwardingTable> tables, String cidr) {
    TableFacts facts = TableFacts.builder().nodePortAddresses(NodePortAddresses.cidrs(cidr)).build();
    Map<IpFamily, ForwardingTable> moved = new HashMap<>();
    tables.forEach((family, table) -> moved.put(family, table.withFacts(facts)));
    return moved;
  }

  @Test
  @DisplayName("servers following the tables listen only where the tables' nodePortAddresses say, and move with them")
  void followsTheTablesNodePortAddresses() {
    int port = Http.freePort();
    Map<IpFamily, ForwardingTable> tables = tables(lb("http", IpFamily.V4, port,
        List.of(ep("10.0.1.5", 80, true, false)), List.of()));
    // Host CIDRs of the tables' nodePortAddresses stand in for the node's matching addresses.
    try (ServiceHealthServers following = ServiceHealthServers.following(
        t -> t.values().stream()
            .flatMap(table -> table.nodePortAddresses().stream())
            .map(Cidr::network)
            .toList(),
        () -> true)) {
      following.update(nodePortsOn(tables, "127.0.0.2/32"));

      assertThat(following.bindAddresses()).containsExactly(IpAddress.parse("127.0.0.2"));
      assertThat(Http.get("127.0.0.2", port, "/").statusCode()).isEqualTo(200);
      assertThat(Http.canBind("127.0.0.1", port)).as("not bound on every address").isTrue();

      following.update(nodePortsOn(tables, "127.0.0.1/32"), Map.of());

      assertThat(Http.get("127.0.0.1", port, "/").statusCode()).isEqualTo(200);
      assertThat(Http.canBind("127.0.0.2", port)).as("the old address is freed").isTrue();
    }
  }

  @Test
  @DisplayName("a port that cannot be bound is skipped and tried again on the next update")
  void retriesBindFailure() throws Exception {
    int port = Http.freePort();
    var wanted = tables(lb("http", IpFamily.V4, port, List.of(ep("10.0.1.5", 80, true, false)), List.of()));
    try (ServerSocket blocker = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      servers.update(wanted);
      assertThat(servers.ports()).isEmpty();
    }

    servers.update(wanted);

    assertThat(servers.ports()).containsExactly(Map.entry(LB, port));
    assertThat(Http.get("127.0.0.1", port, "/").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("close stops every server, frees the ports and refuses later updates")
  void closeFreesPorts() {
    int port = Http.freePort();
    servers.update(tables(lb("http", IpFamily.V4, port, List.of(), List.of())));

    servers.close();

    assertThat(Http.canBind("127.0.0.1", port)).isTrue();
    assertThat(servers.ports()).isEmpty();
    assertThatThrownBy(() -> servers.update(Map.of())).isInstanceOf(IllegalStateException.class);
  }
}
