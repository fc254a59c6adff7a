package dev.kubeproxy.model.conntrack;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.api.testing.TableFixtures.ip;
import static dev.kubeproxy.api.testing.TableFixtures.localEndpoint;
import static dev.kubeproxy.api.testing.TableFixtures.tableOf;
import static dev.kubeproxy.api.testing.TableFixtures.terminatingEndpoint;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.testing.TableFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConntrackReconcilerTest {
  static final ServiceEndpoint A = localEndpoint("10.244.1.7", 5353);
  static final ServiceEndpoint B = endpoint("10.244.2.9", 5353);
  static final String CLIENT = "10.0.0.5";

  /** A UDP service on every kind of frontend: ClusterIP, external IP, LB IP, NodePort 30777. */
  static ServiceEntry game(ServiceEndpoint... eps) {
    return entry("default", "game", "", Protocol.UDP)
        .clusterIp("10.96.0.20", 7777)
        .externalIp("198.51.100.5", 7777)
        .loadBalancer("203.0.113.9", 7777)
        .nodePort(30777)
        .endpoints(eps)
        .build();
  }

  static ConntrackEntry udp(String dst, int dport, String replySrc, int replyPort) {
    return ConntrackEntry.udp(CLIENT, 40000, dst, dport, replySrc, replyPort);
  }

  static List<ConntrackEntry> stale(ForwardingTable table, ConntrackEntry... entries) {
    return ConntrackReconciler.reconcile(table, List.of(entries)).stale();
  }

  @Test
  @DisplayName("a flow to each service address answered by a gone endpoint is stale; by a serving one, kept")
  void goneEndpointOnEveryFrontend() {
    ForwardingTable table = tableOf(game(A));
    List<ConntrackEntry> gone = new ArrayList<>();
    List<ConntrackEntry> live = new ArrayList<>();
    for (String vip : List.of("10.96.0.20", "198.51.100.5", "203.0.113.9")) {
      gone.add(udp(vip, 7777, "10.244.2.9", 5353));
      live.add(udp(vip, 7777, "10.244.1.7", 5353));
    }
    gone.add(udp("192.168.0.10", 30777, "10.244.2.9", 5353));
    live.add(udp("192.168.0.10", 30777, "10.244.1.7", 5353));
    List<ConntrackEntry> all = new ArrayList<>(gone);
    all.addAll(live);

    ConntrackReconciler.Result result = ConntrackReconciler.reconcile(table, all);

    assertThat(result.stale()).containsExactlyElementsOf(gone);
    assertThat(result.filters()).containsExactly(
        new ConntrackFilter(IpFamily.V4, null, 30777, ip("10.244.2.9"), 5353),
        new ConntrackFilter(IpFamily.V4, ip("10.96.0.20"), 7777, ip("10.244.2.9"), 5353),
        new ConntrackFilter(IpFamily.V4, ip("198.51.100.5"), 7777, ip("10.244.2.9"), 5353),
        new ConntrackFilter(IpFamily.V4, ip("203.0.113.9"), 7777, ip("10.244.2.9"), 5353));
  }

  @Test
  @DisplayName("the endpoint's port counts: same IP on an old target port is stale, as upstream")
  void endpointPortChanged() {
    assertThat(stale(tableOf(game(A)), udp("10.96.0.20", 7777, "10.244.1.7", 8080))).hasSize(1);
  }

  @Test
  @DisplayName("never DNATed (reply from the frontend itself) is stale once the port has an endpoint")
  void notNated() {
    ConntrackEntry toVip = udp("10.96.0.20", 7777, "10.96.0.20", 7777);
    ConntrackEntry toNodePort = udp("192.168.0.10", 30777, "192.168.0.10", 30777);
    ConntrackReconciler.Result result =
        ConntrackReconciler.reconcile(tableOf(game(A)), List.of(toVip, toNodePort));
    assertThat(result.stale()).containsExactly(toVip, toNodePort);
    assertThat(result.filters().first().deleteArgs()).containsExactly("-D", "-f", "ipv4", "-p", "udp",
        "--orig-port-dst", "30777", "--reply-src", "192.168.0.10", "--reply-port-src", "30777");
    assertThat(result.filters().last().deleteArgs()).containsExactly("-D", "-f", "ipv4", "-p", "udp",
        "--orig-dst", "10.96.0.20", "--orig-port-dst", "7777", "--reply-src", "10.96.0.20",
        "--reply-port-src", "7777");
  }

  @Test
  @DisplayName("a service port with no serving endpoint keeps every flow, as upstream")
  void noServingEndpointKeepsFlows() {
    assertThat(stale(tableOf(game()), udp("10.96.0.20", 7777, "10.244.2.9", 5353),
        udp("192.168.0.10", 30777, "10.244.2.9", 5353))).isEmpty();
  }

  @Test
  @DisplayName("other protocols, other ports of a VIP, other addresses and other families are left alone")
  void nonServiceFlowsKept() {
    ServiceEntry tcp = entry("default", "web", "", Protocol.TCP)
        .clusterIp("10.96.0.30", 80).nodePort(30080).endpoints(A).build();
    ForwardingTable table = tableOf(game(A), tcp);
    ConntrackEntry tcpToVip = new ConntrackEntry("tcp", ip(CLIENT), ip("10.96.0.30"), 40000, 80,
        ip("10.244.9.9"), ip(CLIENT), 80, 40000);
    ConntrackEntry tcpToUdpVip = new ConntrackEntry("tcp", ip(CLIENT), ip("10.96.0.20"), 40000, 7777,
        ip("10.244.9.9"), ip(CLIENT), 7777, 40000);
    ConntrackEntry sctp = new ConntrackEntry("sctp", ip(CLIENT), ip("10.96.0.20"), 40000, 7777,
        ip("10.244.9.9"), ip(CLIENT), 7777, 40000);
    ConntrackEntry udpToTcpNodePort = udp("192.168.0.10", 30080, "10.244.9.9", 80);
    ConntrackEntry otherPortOfVip = udp("10.96.0.20", 53, "10.244.9.9", 53);
    ConntrackEntry podToPod = udp("10.244.3.3", 7777, "10.244.3.3", 7777);
    ConntrackEntry v6 = ConntrackEntry.udp("fd00::5", 40000, "fd00:96::20", 7777, "fd00:244::9", 5353);
    assertThat(stale(table, tcpToVip, tcpToUdpVip, sctp, udpToTcpNodePort, otherPortOfVip, podToPod, v6))
        .isEmpty();
  }

  @Test
  @DisplayName("terminating endpoints that still serve keep their flows, even outside the policy lists")
  void servingTerminatingKept() {
    ServiceEndpoint terminating = terminatingEndpoint("10.244.2.9", 5353, false);
    ServiceEntry localOnly = entry("default", "game", "", Protocol.UDP)
        .clusterIp("10.96.0.20", 7777)
        .nodePort(30777)
        .externalPolicyLocal()
        .internalPolicyLocal()
        .endpoints(A, terminating)
        .build();
    // The remote terminating endpoint is in no list the ClusterIP load-balances to...
    assertThat(localOnly.internal().endpoints()).containsExactly(A);
    // ... yet while it serves, its flows stay; once it stops serving they go.
    ConntrackEntry toTerminating = udp("10.96.0.20", 7777, "10.244.2.9", 5353);
    ForwardingTable serving =
        tableOf(localOnly.toBuilder().servingEndpoints(Set.of(A, terminating)).build());
    assertThat(stale(serving, toTerminating)).isEmpty();
    ForwardingTable stopped = tableOf(localOnly.toBuilder().servingEndpoints(Set.of(A)).build());
    assertThat(stale(stopped, toTerminating)).containsExactly(toTerminating);
  }

  @Test
  @DisplayName("NodePort matches on the port only, whatever the address, as upstream")
  void nodePortAnyAddress() {
    ForwardingTable table = tableOf(game(A));
    ConntrackEntry toLoopback = udp("127.0.0.1", 30777, "10.244.2.9", 5353);
    ConntrackEntry toPodPort = udp("10.244.5.5", 30777, "10.244.5.5", 30777);
    assertThat(stale(table, toLoopback, toPodPort)).containsExactly(toLoopback, toPodPort);
  }

  @Test
  @DisplayName("IPv6: only IPv6 entries of an IPv6 table, with conntrack's ipv6 family")
  void ipv6() {
    ServiceEntry v6 = entry("default", "v6", "", Protocol.UDP).family(IpFamily.V6)
        .clusterIp("fd00:96::20", 53).endpoints(endpoint("fd00:244::2", 53)).build();
    ForwardingTable table = TableFixtures.table(IpFamily.V6).with(v6).build();
    ConntrackEntry stale = ConntrackEntry.udp("fd00::5", 40000, "fd00:96::20", 53, "fd00:244::9", 53);
    ConntrackEntry live = ConntrackEntry.udp("fd00::5", 40001, "fd00:96::20", 53, "fd00:244::2", 53);
    ConntrackEntry v4 = udp("10.96.0.20", 7777, "10.244.2.9", 5353);
    ConntrackReconciler.Result result = ConntrackReconciler.reconcile(table, List.of(stale, live, v4));
    assertThat(result.stale()).containsExactly(stale);
    assertThat(result.filters().first().deleteArgs()).containsExactly("-D", "-f", "ipv6", "-p", "udp",
        "--orig-dst", "fd00:96::20", "--orig-port-dst", "53", "--reply-src", "fd00:244::9",
        "--reply-port-src", "53");
  }

  @Test
  @DisplayName("many stale flows of one gone endpoint make one filter, matching each of them and no live one")
  void filtersGroup() {
    List<ConntrackEntry> entries = new ArrayList<>();
    for (int port = 40000; port < 40100; port++) {
      entries.add(ConntrackEntry.udp(
          "10.0.0." + (port % 7 + 1), port, "10.96.0.20", 7777, "10.244.2.9", 5353));
    }
    ConntrackReconciler.Result result = ConntrackReconciler.reconcile(tableOf(game(A, B)), entries);
    assertThat(result.stale()).isEmpty();

    result = ConntrackReconciler.reconcile(tableOf(game(A)), entries);
    assertThat(result.stale()).hasSize(100);
    assertThat(result.filters()).hasSize(1);
    ConntrackFilter filter = result.filters().first();
    assertThat(entries).allMatch(filter::matches);
    assertThat(filter.matches(udp("10.96.0.20", 7777, "10.244.1.7", 5353))).isFalse();
    assertThat(filter.matches(udp("10.96.0.21", 7777, "10.244.2.9", 5353))).isFalse();
  }
}
