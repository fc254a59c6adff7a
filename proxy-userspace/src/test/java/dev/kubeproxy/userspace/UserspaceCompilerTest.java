package dev.kubeproxy.userspace;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.api.testing.TableFixtures.ip;
import static dev.kubeproxy.api.testing.TableFixtures.table;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.BackendCompiler.Compiled;
import dev.kubeproxy.nftables.NftElement;
import dev.kubeproxy.nftables.NftOp;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The userspace compiler: table changes into listener operations and redirect-table changes. */
class UserspaceCompilerTest {
  private static final ServiceEntry WEB =
      entry("default", "web", "http", Protocol.TCP)
          .clusterIp("10.96.0.10", 80).nodePort(30080).endpoints(endpoint("10.244.1.10", 8080)).build();
  private static final ServiceEntry WEB_MOVED =
      entry("default", "web", "http", Protocol.TCP)
          .clusterIp("10.96.0.10", 80).nodePort(30080).endpoints(endpoint("10.244.2.10", 8080)).build();
  private static final ServiceEntry DNS =
      entry("kube-system", "dns", "dns", Protocol.UDP)
          .clusterIp("10.96.0.53", 53).endpoints(endpoint("10.244.1.20", 53)).build();

  private final UserspaceCompiler embedded =
      UserspaceCompiler.embedded(EmbeddedPlan.ephemeral(List.of(ip("127.0.0.1"))));
  private final UserspaceCompiler node = UserspaceCompiler.node(new PortRange(20000, 20009));

  private static ForwardingTable nodeTable(ServiceEntry... entries) {
    return table(IpFamily.V4).nodeAddresses("192.0.2.1").with(entries).build();
  }

  private static Compiled<UserspaceState, UserspaceTransaction> full(UserspaceCompiler c, ForwardingTable t) {
    return c.compile(TableChange.initial(t), true, null, OpenListeners.NONE, 0);
  }

  @Test
  void aFullEmbeddedCompileOpensOneListenerPerServicePortAndWritesNoRules() {
    Compiled<UserspaceState, UserspaceTransaction> c = full(embedded, nodeTable(WEB, DNS));

    assertThat(c.transaction().rules().isEmpty()).isTrue();
    assertThat(embedded.render(Map.of(IpFamily.V4, c.transaction())))
        .isEqualTo(
            "open default/web:http/TCP INTERNAL on 127.0.0.1:0 -> 10.244.1.10:8080\n"
                + "open kube-system/dns:dns/UDP INTERNAL on 127.0.0.1:0 -> 10.244.1.20:53\n");
  }

  @Test
  void aPartialCompileRetargetsChangedEndpointsAndClosesRemovedPorts() {
    ForwardingTable first = nodeTable(WEB, DNS);
    UserspaceState state = full(embedded, first).state();
    ForwardingTable second = nodeTable(WEB_MOVED);

    Compiled<UserspaceState, UserspaceTransaction> c =
        embedded.compile(
            new TableChange(IpFamily.V4, first, second, ImmutableSet.of(WEB.key(), DNS.key())),
            false, state, OpenListeners.NONE, 0);

    assertThat(embedded.render(Map.of(IpFamily.V4, c.transaction())))
        .isEqualTo(
            "close kube-system/dns:dns/UDP INTERNAL on 127.0.0.1:0\n"
                + "retarget default/web:http/TCP INTERNAL on 127.0.0.1:0 -> 10.244.2.10:8080\n");
    assertThat(c.state().keys()).containsOnlyKeys(WEB.key());
  }

  @Test
  void anUnchangedKeyCompilesToNothing() {
    ForwardingTable t = nodeTable(WEB);
    UserspaceState state = full(node, t).state();

    Compiled<UserspaceState, UserspaceTransaction> c =
        node.compile(new TableChange(IpFamily.V4, t, t, ImmutableSet.of(WEB.key())), false, state,
            OpenListeners.NONE, 0);

    assertThat(c.transaction().size()).isZero();
  }

  @Test
  void nodeModeGivesEachTrafficKindAPortOfTheRangeAndRedirectsItsFrontendsThere() {
    Compiled<UserspaceState, UserspaceTransaction> c = full(node, nodeTable(WEB, DNS));
    String text = node.render(Map.of(IpFamily.V4, c.transaction()));

    assertThat(text)
        .contains("open default/web:http/TCP INTERNAL on 0.0.0.0:20000 -> 10.244.1.10:8080\n")
        .contains("open default/web:http/TCP EXTERNAL on 0.0.0.0:20001 -> 10.244.1.10:8080\n")
        .contains("open kube-system/dns:dns/UDP INTERNAL on 0.0.0.0:20002 -> 10.244.1.20:53\n")
        .contains("add table ip kube-proxy-userspace")
        .contains("delete table ip kube-proxy-userspace")
        .contains("type nat hook prerouting priority -110")
        .contains("type nat hook output priority -110")
        .contains("dnat to ip daddr . meta l4proto . th dport map @service-ports")
        .contains("10.96.0.10 . tcp . 80 : 192.0.2.1 . 20000")
        .contains("tcp . 30080 : 192.0.2.1 . 20001")
        .contains("10.96.0.53 . udp . 53 : 192.0.2.1 . 20002");
  }

  @Test
  void nodeModeKeepsAListenersPortAndChangesOnlyTheElementsOfChangedKeys() {
    ForwardingTable first = nodeTable(WEB);
    UserspaceState state = full(node, first).state();
    ForwardingTable second = nodeTable(WEB_MOVED, DNS);

    Compiled<UserspaceState, UserspaceTransaction> c =
        node.compile(new TableChange(IpFamily.V4, first, second, ImmutableSet.of(WEB.key(), DNS.key())),
            false, state, OpenListeners.NONE, 0);

    assertThat(node.render(Map.of(IpFamily.V4, c.transaction())))
        .contains("retarget default/web:http/TCP INTERNAL on 0.0.0.0:20000 -> 10.244.2.10:8080")
        .contains("open kube-system/dns:dns/UDP INTERNAL on 0.0.0.0:20002")
        .doesNotContain("delete table");
    assertThat(c.transaction().rules().ops())
        .containsExactly(
            RedirectRules.addClusterIp(IpFamily.V4, ip("10.96.0.53")),
            new NftOp.AddElement(RedirectRules.table(IpFamily.V4), RedirectRules.SERVICE_PORTS,
                NftElement.mapping(ImmutableList.of("10.96.0.53", "udp", "53"), ImmutableList.of("192.0.2.1", "20002"))));
  }

  @Test
  void aFullNodeCompileKeepsThePortsOfOpenListenersAndAvoidsUnavailablePorts() {
    ServicePortKey web = WEB.key();
    ListenerSpec open = new ListenerSpec(web, Traffic.INTERNAL, ip("0.0.0.0"), 20005);
    OpenListeners existing = new OpenListeners(ImmutableSet.of(open), ImmutableSet.of(20000));

    Compiled<UserspaceState, UserspaceTransaction> c =
        node.compile(TableChange.initial(nodeTable(WEB)), true, null, existing, 0);

    assertThat(node.render(Map.of(IpFamily.V4, c.transaction())))
        .contains("retarget default/web:http/TCP INTERNAL on 0.0.0.0:20005")
        .contains("open default/web:http/TCP EXTERNAL on 0.0.0.0:20001");
  }

  @Test
  void ipv6ListenersTakeTheUpperHalfOfTheRange() {
    ServiceEntry six = entry("default", "web", "http", Protocol.TCP).family(IpFamily.V6)
        .clusterIp("fd00::10", 80).endpoints(endpoint("fd00:10:244:1::10", 8080)).build();
    ForwardingTable t = table(IpFamily.V6).nodeAddresses("2001:db8::1").with(six).build();

    String text = node.render(Map.of(IpFamily.V6, full(node, t).transaction()));

    assertThat(text)
        .contains("INTERNAL on [::]:20005")
        .contains("fd00::10 . tcp . 80 : 2001:db8::1 . 20005");
  }

  @Test
  void aLoadBalancerWithSourceRangesGetsFirewallElements() {
    ServiceEntry lb = entry("default", "lb", "http", Protocol.TCP)
        .clusterIp("10.96.0.40", 80).loadBalancer("198.51.100.40", 80).firewallSources("203.0.113.0/24")
        .endpoints(endpoint("10.244.1.10", 8080)).build();

    String text = node.render(Map.of(IpFamily.V4, full(node, nodeTable(lb)).transaction()));

    assertThat(text)
        .contains("198.51.100.40 . tcp . 80 . 203.0.113.0/24")
        .contains("ip daddr . meta l4proto . th dport . ip saddr != @firewall-allow drop")
        .contains("add element ip kube-proxy-userspace firewall-frontends { 198.51.100.40 . tcp . 80 }");
  }
}
