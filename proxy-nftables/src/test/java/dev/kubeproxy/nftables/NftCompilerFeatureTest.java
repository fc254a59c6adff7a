package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Per feature: what a sync of the all-features sample programs, observed on the fake kernel. */
class NftCompilerFeatureTest {
  private static final NftTable V4 = NftTable.kubeProxy(IpFamily.V4);
  private static final NftTable V6 = NftTable.kubeProxy(IpFamily.V6);
  private final FakeNftKernel kernel = new FakeNftKernel();
  private final NftablesBackend backend = new NftablesBackend(kernel, () -> 0L);

  private void sync(ForwardingTable... tables) throws Exception {
    TableChange[] changes = new TableChange[tables.length];
    for (int i = 0; i < tables.length; i++) {
      changes[i] = TableChange.initial(tables[i]);
    }
    backend.sync(SyncRequest.full(changes));
  }

  private static ForwardingTable withDetector(LocalTrafficDetector detector, boolean masqueradeAll) {
    ForwardingTable t = SampleTables.allFeatures(IpFamily.V4);
    return t.withFacts(
        t.facts().toBuilder().localDetector(detector).masqueradeAll(masqueradeAll).build());
  }

  @Test
  @DisplayName("ClusterIP: DNAT to every endpoint in ip:port string order, by numgen over the group")
  void clusterIpDispatch() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    assertThat(kernel.elements(V4, "cluster-ips"))
        .contains("10.96.0.10", "10.96.0.53", "10.96.0.20", "10.96.2.2");
    assertThat(kernel.elements(V4, "service-ips-2")).contains(
        "10.96.0.10 . tcp . 80 . 0 : 10.244.1.2 . 8080",
        "10.96.0.10 . tcp . 80 . 1 : 10.244.2.3 . 8080");
    assertThat(kernel.rules(V4, "service-ips-2")).containsExactly(
        "dnat to ip daddr . meta l4proto . th dport"
            + " . numgen random mod 2 map @service-ips-2");
    assertThat(kernel.elements(V4, "service-ips")).contains(
        "10.96.0.10 . tcp . 80 : goto service-ips-2", "10.96.0.53 . udp . 53 : goto service-ips-3");
    assertThat(kernel.rules(V4, "service-ips")).containsExactly(
        "ip daddr . meta l4proto . th dport vmap @service-ips comment"
            + " \"to the endpoint-count group or ClientIP affinity chain of the frontend\"");
    assertThat(kernel.rules(V4, "nat-prerouting")).containsExactly("jump services");
    assertThat(kernel.rules(V4, "nat-output")).containsExactly("jump services");
  }

  @Test
  @DisplayName("one port number on UDP and TCP goes to different target ports; SCTP is dispatched too")
  void protocols() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    assertThat(kernel.elements(V4, "service-ips-3")).contains(
        "10.96.0.53 . udp . 53 . 0 : 10.244.1.7 . 53",
        "10.96.0.53 . udp . 53 . 2 : 10.244.3.9 . 53");
    assertThat(kernel.elements(V4, "service-ips-1")).contains(
        "10.96.0.53 . tcp . 53 . 0 : 10.244.1.7 . 5353",
        "10.96.2.2 . sctp . 3868 . 0 : 10.244.2.30 . 3868");
  }

  @Test
  @DisplayName("NodePorts answer on local non-loopback addresses, or only inside nodePortAddresses")
  void nodePorts() throws Exception {
    ForwardingTable t = SampleTables.allFeatures(IpFamily.V4);
    sync(t);
    assertThat(kernel.elements(V4, "service-nodeports-2")).contains(
        "tcp . 30080 . 0 : 10.244.1.2 . 8080", "tcp . 30080 . 1 : 10.244.2.3 . 8080");
    assertThat(kernel.rules(V4, "services"))
        .contains("fib daddr type local ip daddr != 127.0.0.0/8 goto nodeports comment \"NodePort traffic\"");
    assertThat(kernel.sets(V4)).doesNotContain("nodeport-ips");

    sync(t.withFacts(t.facts().toBuilder()
        .nodePortAddresses(NodePortAddresses.cidrs("192.168.0.0/24"))
        .masqueradeAll(false)
        .build()));
    assertThat(kernel.elements(V4, "nodeport-ips")).containsExactly("192.168.0.0/24");
    assertThat(kernel.rules(V4, "services")).contains("fib daddr type local ip daddr != 127.0.0.0/8"
        + " ip daddr @nodeport-ips goto nodeports comment \"NodePort traffic\"");
  }

  @Test
  @DisplayName("no endpoints anywhere: reject (TCP reset, else ICMP port unreachable); unknown port on a ClusterIP: reject")
  void reject() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    assertThat(kernel.elements(V4, "no-endpoint-services")).contains("10.96.0.20 . tcp . 80 : goto reject-chain");
    assertThat(kernel.rules(V4, "service-endpoints-check")).containsExactly(
        "ip daddr . meta l4proto . th dport vmap @no-endpoint-services comment \"frontends without endpoints\"");
    assertThat(kernel.rules(V4, "cluster-ips-check")).startsWith(
        "ip daddr @cluster-ips goto reject-chain comment \"Reject traffic to invalid ports of ClusterIPs\"");
    assertThat(kernel.rules(V4, "reject-chain")).containsExactly(
        "meta l4proto tcp reject with tcp reset comment \"TCP gets a reset\"",
        "reject comment \"others get ICMP port unreachable\"");
    assertThat(kernel.rules(V4, "filter-forward")).containsExactly(
        "ct state new jump service-endpoints-check", "ct state new jump cluster-ips-check");
    assertThat(kernel.rules(V4, "filter-input")).containsExactly(
        "ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check");
  }

  @Test
  @DisplayName("Local policy without local endpoints: external frontends and NodePorts drop; iTP=Local ClusterIP drops")
  void drop() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    assertThat(kernel.elements(V4, "no-endpoint-services")).containsExactlyInAnyOrder(
        "10.96.0.20 . tcp . 80 : goto reject-chain", "198.51.100.7 . tcp . 80 : drop",
        "10.96.2.3 . udp . 53 : drop");
    assertThat(kernel.elements(V4, "no-endpoint-nodeports")).containsExactly("tcp . 30081 : drop");
    assertThat(kernel.rules(V4, "nodeport-endpoints-check")).containsExactly(
        "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports"
            + " comment \"NodePorts without endpoints\"");
  }

  @Test
  @DisplayName("eTP=Local: outside traffic to local endpoints unmasqueraded; pod and host traffic short-circuit to all endpoints, host masqueraded")
  void externalPolicyLocal() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    assertThat(kernel.elements(V4, "local-policy-ips"))
        .containsExactlyInAnyOrder("192.0.2.10 . tcp . 443", "198.51.100.7 . tcp . 80");
    assertThat(kernel.elements(V4, "local-policy-nodeports"))
        .containsExactlyInAnyOrder("tcp . 30443", "tcp . 30081");
    assertThat(kernel.elements(V4, "service-ips").stream().filter(e -> e.contains("-masq")))
        .as("only the eTP=Cluster ExternalIP enters through a masquerading chain")
        .containsExactly("198.51.100.8 . tcp . 9000 : goto service-ips-affinity-tcp-600-2-masq");
    assertThat(kernel.elements(V4, "service-nodeports").stream().filter(e -> e.contains("-masq")))
        .containsExactly("tcp . 30080 : goto service-nodeports-2-masq");
    assertThat(kernel.rules(V4, "service-nodeports-2-masq")).containsExactly(
        "jump mark-for-masquerade comment \"externalTrafficPolicy Cluster: masqueraded\"",
        "goto service-nodeports-2");
    assertThat(kernel.elements(V4, "local-ips-1")).contains("192.0.2.10 . tcp . 443 . 0 : 10.244.1.5 . 8443");
    assertThat(kernel.elements(V4, "local-ips")).contains("192.0.2.10 . tcp . 443 : goto local-ips-1");
    assertThat(kernel.elements(V4, "short-circuit-ips-2")).contains(
        "192.0.2.10 . tcp . 443 . 0 : 10.244.1.5 . 8443", "192.0.2.10 . tcp . 443 . 1 : 10.244.2.6 . 8443");
    assertThat(kernel.elements(V4, "short-circuit-nodeports-1")).contains("tcp . 30081 . 0 : 10.244.2.11 . 80");
    assertThat(kernel.rules(V4, "services")).containsOnlyOnce(
        "ip daddr . meta l4proto . th dport @local-policy-ips jump local-policy-ips"
            + " comment \"externalTrafficPolicy Local\"");
    assertThat(kernel.rules(V4, "local-policy-ips")).containsExactly(
        "ip saddr { 10.244.0.0/16 } goto short-circuit-ips"
            + " comment \"pod traffic to externalTrafficPolicy Local uses all endpoints\"",
        "fib saddr type local jump mark-for-masquerade"
            + " comment \"host traffic to externalTrafficPolicy Local is masqueraded\"",
        "fib saddr type local goto short-circuit-ips"
            + " comment \"host traffic to externalTrafficPolicy Local uses all endpoints\"",
        "goto local-ips comment \"other traffic uses the local endpoints\"");
    assertThat(kernel.elements(V4, "service-ips")).as("Local frontends are only in their own space")
        .noneMatch(e -> e.startsWith("192.0.2.10 "));
  }

  @Test
  @DisplayName("masquerade by mark: ClusterIP from outside the pod CIDR, all with masqueradeAll, none without detector; postrouting clears the mark and masquerades fully random")
  void masquerade() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    assertThat(kernel.rules(V4, "services")).contains(
        "ip saddr != { 10.244.0.0/16 } ip daddr @cluster-ips jump mark-for-masquerade"
            + " comment \"ClusterIP traffic from outside the pod network is masqueraded\"");
    assertThat(kernel.rules(V4, "mark-for-masquerade")).containsExactly("meta mark set meta mark or 0x4000");
    assertThat(kernel.rules(V4, "masquerading")).containsExactly(
        "ct status dnat ip saddr . ip daddr @hairpin-ips jump mark-for-masquerade"
            + " comment \"hairpin: an endpoint reached itself via a service\"",
        "meta mark & 0x4000 == 0 return",
        "meta mark set meta mark xor 0x4000",
        "masquerade fully-random");
    assertThat(kernel.elements(V4, "hairpin-ips")).contains("10.244.1.2 . 10.244.1.2");

    sync(withDetector(SampleTables.emptyNode(IpFamily.V4).localDetector(), true));
    assertThat(kernel.rules(V4, "services")).contains(
        "ip daddr @cluster-ips jump mark-for-masquerade comment \"ClusterIP traffic is masqueraded: masqueradeAll\"");

    sync(withDetector(LocalTrafficDetector.NONE, false));
    assertThat(kernel.rules(V4, "services")).noneMatch(r -> r.contains("@cluster-ips"));
    assertThat(kernel.rules(V4, "local-policy-ips"))
        .noneMatch(r -> r.contains("goto short-circuit-ips") && !r.contains("fib saddr type local"));

    sync(withDetector(LocalTrafficDetector.byInterface(LocalTrafficDetector.Mode.BRIDGE_INTERFACE, "cbr0"), false));
    assertThat(kernel.rules(V4, "services")).anyMatch(r -> r.startsWith(
        "iifname != \"cbr0\" ip daddr @cluster-ips jump mark-for-masquerade"));
    sync(withDetector(LocalTrafficDetector.byInterface(LocalTrafficDetector.Mode.INTERFACE_NAME_PREFIX, "veth"), false));
    assertThat(kernel.rules(V4, "local-policy-ips")).anyMatch(r -> r.startsWith(
        "iifname \"veth*\" goto short-circuit-ips"));
  }

  @Test
  @DisplayName("hairpin pairs only for endpoints that can send from here: not for one on another named node")
  void hairpinOnlyForEndpointsThatCanBeHere() throws Exception {
    ServicePortKey key = ServicePortKey.of("default", "spread", "http", Protocol.TCP);
    ServiceEntry entry = SampleTables.clusterIp(key, IpAddress.parse("10.96.9.9"), 80, List.of(
        new ServiceEndpoint(IpAddress.parse("10.244.9.1"), 8080, true, false, false),
        new ServiceEndpoint(IpAddress.parse("10.244.9.2"), 8080, false, false, false),
        new ServiceEndpoint(IpAddress.parse("10.244.9.3"), 8080, false, true, false)));
    ForwardingTable table = SampleTables.emptyNode(IpFamily.V4)
        .withEntries(java.util.Map.of(key, entry));
    sync(table);
    assertThat(kernel.elements(V4, "hairpin-ips")).as("local, and no node named: kept")
        .containsExactlyInAnyOrder("10.244.9.1 . 10.244.9.1", "10.244.9.2 . 10.244.9.2");
    assertThat(kernel.elements(V4, "service-ips-3")).as("every endpoint still serves")
        .hasSize(3);
  }

  @Test
  @DisplayName("loadBalancerSourceRanges: only LB frontends are checked; allowed = ranges plus the LB IP")
  void firewall() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    assertThat(kernel.elements(V4, "firewall-ips")).containsExactly("192.0.2.10 . tcp . 443");
    assertThat(kernel.elements(V4, "firewall-allow")).containsExactlyInAnyOrder(
        "192.0.2.10 . tcp . 443 . 203.0.113.0/24", "192.0.2.10 . tcp . 443 . 192.0.2.10/32");
    assertThat(kernel.rules(V4, "firewall-check")).containsExactly(
        "ip daddr . meta l4proto . th dport @firewall-ips ip daddr . meta l4proto . th dport . ip saddr"
            + " != @firewall-allow drop comment \"LoadBalancer traffic from outside loadBalancerSourceRanges\"");
    assertThat(kernel.rules(V4, "filter-prerouting-pre-dnat")).containsExactly("ct state new jump firewall-check");
  }

  @Test
  @DisplayName("ClientIP affinity: no per-service chain or set; frontends go to a shared affinity group"
      + " whose map holds their slots and whose chain remembers clients per frontend and slot")
  void affinity() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    String group = "service-ips-affinity-tcp-600-2";
    assertThat(kernel.elements(V4, "service-ips").stream().filter(e -> e.contains(" 9000 : ")))
        .containsExactly("10.96.2.1 . tcp . 9000 : goto " + group,
            "198.51.100.8 . tcp . 9000 : goto " + group + "-masq");
    assertThat(kernel.elements(V4, group)).containsExactlyInAnyOrder(
        "10.96.2.1 . tcp . 9000 . 0 : 10.244.1.20 . 9000",
        "10.96.2.1 . tcp . 9000 . 1 : 10.244.2.21 . 9000",
        "198.51.100.8 . tcp . 9000 . 0 : 10.244.1.20 . 9000",
        "198.51.100.8 . tcp . 9000 . 1 : 10.244.2.21 . 9000");
    // Slot 0 takes half of the random range; slot 1, the last, all of what reaches it.
    assertThat(kernel.elements(V4, "service-ips-affinity-pick")).containsExactlyInAnyOrder(
        "10.96.2.1 . tcp . 9000 . 0-524287", "10.96.2.1 . tcp . 9000 . 1048576-2097151",
        "198.51.100.8 . tcp . 9000 . 0-524287", "198.51.100.8 . tcp . 9000 . 1048576-2097151");
    String remembered = "ip saddr . ip daddr . th dport . numgen random mod 1 offset ";
    String slot = "ip daddr . meta l4proto . th dport . numgen random mod 1 offset ";
    String dnat = "dnat to " + slot;
    String client = "ip saddr . ip daddr . th dport";
    List<String> rules = kernel.rules(V4, group);
    assertThat(rules).hasSize(7);
    // A mark-0 packet of a remembered client jumps straight to its slot (tcp: 6 << 16 = 393216).
    assertThat(rules.get(0)).startsWith("meta mark 0 meta mark set " + client
        + " map @service-ips-affinity-slot meta mark vmap { 393217 : jump " + group + "-slot-0, "
        + "393218 : jump " + group + "-slot-1, * : jump " + group + "-forget }");
    String refresh0 = "update @service-ips-affinity-slot { " + client + " timeout 600s : 393217 } "
        + "update @service-ips-affinity { " + remembered + "393216 timeout 600s } ";
    assertThat(rules.get(1)).startsWith(remembered + "393216 @service-ips-affinity " + slot
        + "0 @" + group + " " + refresh0 + dnat + "0 map @" + group);
    // Every live slot is tested before any hole: a remembered client passes one rule per slot.
    assertThat(rules.get(2)).startsWith(remembered + "393217 @service-ips-affinity " + slot
        + "1 @" + group + " update");
    assertThat(rules.get(3)).startsWith(remembered + "393216 @service-ips-affinity " + slot
        + "0 != @" + group + " delete @service-ips-affinity-slot { " + client + " : 393217 }"
        + " delete @service-ips-affinity { " + remembered + "393216 }");
    assertThat(rules.get(4)).startsWith(remembered + "393217 @service-ips-affinity " + slot
        + "1 != @" + group);
    assertThat(rules.get(6)).isEqualTo("ip daddr . meta l4proto . th dport . numgen random mod"
        + " 1048576 offset 1048576 @service-ips-affinity-pick update @service-ips-affinity-slot { "
        + client + " timeout 600s : 393218 } update @service-ips-affinity { "
        + remembered + "393217 timeout 600s } " + dnat + "1 map @" + group);
    // Slot chain 0: each rule sets the mark back to 0 first; refresh and DNAT (no membership
    // test: a hole fails the DNAT's lookup), else forget the hole.
    assertThat(kernel.rules(V4, group + "-slot-0")).containsExactly(
        "meta mark set 0 " + refresh0 + dnat + "0 map @" + group
            + " comment \"the mark only carried the slot\"",
        "meta mark set 0 delete @service-ips-affinity-slot { " + client + " : 393217 } delete"
            + " @service-ips-affinity { " + remembered + "393216 } comment \"the endpoint left:"
            + " back to the group chain\"");
    assertThat(kernel.rules(V4, group + "-forget")).containsExactly("meta mark set 0 delete"
        + " @service-ips-affinity-slot { " + client + " : 1 } comment \"a slot this group does not"
        + " have\"");
    assertThat(kernel.sets(V4)).noneMatch(s -> s.contains("sticky"));
    assertThat(kernel.chains(V4)).noneMatch(c -> c.contains("sticky"));
    assertThat(kernel.elements(V4, "service-ips-2")).noneMatch(e -> e.startsWith("10.96.2.1 "));
  }

  @Test
  @DisplayName("ClientIP affinity slots: a removed endpoint leaves a hole, the others keep their slots,"
      + " a new endpoint fills the lowest hole")
  void affinitySlotsAreStable() throws Exception {
    ForwardingTable before = SampleTables.allFeatures(IpFamily.V4);
    sync(before);
    ServicePortKey sticky = ServicePortKey.of("apps", "sticky", "api", Protocol.TCP);
    dev.kubeproxy.api.ServiceEntry entry = before.entry(sticky);
    dev.kubeproxy.api.ServiceEndpoint first = entry.internal().endpoints().get(0);
    dev.kubeproxy.api.ServiceEndpoint second = entry.internal().endpoints().get(1);
    ForwardingTable withoutFirst = withStickyEndpoints(before, List.of(second));
    backend.sync(SyncRequest.partial(
        new TableChange(IpFamily.V4, before, withoutFirst, ImmutableSet.of(sticky))));
    assertThat(kernel.elements(V4, "service-ips-affinity-tcp-600-2")).contains(
        "10.96.2.1 . tcp . 9000 . 1 : 10.244.2.21 . 9000").noneMatch(e -> e.contains(" . 0 : "));
    assertThat(kernel.elements(V4, "service-ips-affinity-pick"))
        .contains("10.96.2.1 . tcp . 9000 . 1048576-2097151").noneMatch(e -> e.contains(" . 0-"));

    dev.kubeproxy.api.ServiceEndpoint third = new dev.kubeproxy.api.ServiceEndpoint(
        dev.kubeproxy.api.IpAddress.parse("10.244.3.22"), 9000, false, false);
    ForwardingTable withThird = withStickyEndpoints(withoutFirst, List.of(second, third));
    backend.sync(SyncRequest.partial(
        new TableChange(IpFamily.V4, withoutFirst, withThird, ImmutableSet.of(sticky))));
    assertThat(kernel.elements(V4, "service-ips-affinity-tcp-600-2")).contains(
        "10.96.2.1 . tcp . 9000 . 0 : 10.244.3.22 . 9000",
        "10.96.2.1 . tcp . 9000 . 1 : 10.244.2.21 . 9000");
    assertThat(first.address().toString()).isEqualTo("10.244.1.20");
  }

  private static ForwardingTable withStickyEndpoints(ForwardingTable table,
      List<dev.kubeproxy.api.ServiceEndpoint> endpoints) {
    ServicePortKey sticky = ServicePortKey.of("apps", "sticky", "api", Protocol.TCP);
    dev.kubeproxy.api.ServiceEntry entry = table.entry(sticky);
    dev.kubeproxy.api.EndpointList list = new dev.kubeproxy.api.EndpointList(
        ImmutableList.copyOf(endpoints), entry.internal().ifEmpty());
    return table.withEntries(java.util.Map.of(sticky, entry.toBuilder().internal(list)
        .external(list).cluster(ImmutableList.copyOf(endpoints)).build()));
  }

  @Test
  @DisplayName("IPv6: an ip6 table with ip6 matches, ::1 excluded from NodePorts")
  void ipv6() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4), SampleTables.allFeatures(IpFamily.V6));
    assertThat(kernel.hasTable(V4)).isTrue();
    assertThat(kernel.elements(V6, "service-ips-2")).contains("fd00:96::10 . tcp . 80 . 0 : fd00:244::1:2 . 8080");
    assertThat(kernel.rules(V6, "services")).contains(
        "ip6 saddr != { fd00:244::/64 } ip6 daddr @cluster-ips jump mark-for-masquerade"
            + " comment \"ClusterIP traffic from outside the pod network is masqueraded\"",
        "fib daddr type local ip6 daddr != ::1 goto nodeports comment \"NodePort traffic\"");
    assertThat(kernel.dump()).contains("add set ip6 kube-proxy cluster-ips { type ipv6_addr ;");
  }

  @Test
  @DisplayName("after one endpoint changes, a partial sync emits only that group element and its hairpin pair")
  void partialEmitsOnlyTheDelta() throws Exception {
    ForwardingTable before = SampleTables.allFeatures(IpFamily.V4);
    sync(before);
    ServicePortKey key = ServicePortKey.of("default", "web", "http", Protocol.TCP);
    var web = before.entry(key);
    var moved = SampleTables.endpoint(dev.kubeproxy.api.IpAddress.parse("10.244.2.4"), 8080, false);
    var list = SampleTables.list(web.internal().endpoints().get(0), moved);
    var after = before.withEntries(java.util.Map.of(key, dev.kubeproxy.api.ServiceEntry.builder(key, web.family())
        .frontends(web.frontends())
        .internal(list)
        .external(list)
        .cluster(list.endpoints())
        .affinity(web.affinity())
        .firewallSources(web.firewallSources())
        .build()));
    var result = new NftCompiler().compile(
        new TableChange(IpFamily.V4, before, after, ImmutableSet.of(key)), false,
        backend.committed(IpFamily.V4), 0);
    assertThat(new NftRenderer().render(result.transaction())).isEqualTo(
        "delete element ip kube-proxy service-ips-2 { 10.96.0.10 . tcp . 80 . 1 }\n"
            + "delete element ip kube-proxy service-nodeports-2 { tcp . 30080 . 1 }\n"
            + "delete element ip kube-proxy hairpin-ips { 10.244.2.3 . 10.244.2.3 }\n"
            + "add element ip kube-proxy service-ips-2 { 10.96.0.10 . tcp . 80 . 1 : 10.244.2.4 . 8080 }\n"
            + "add element ip kube-proxy service-nodeports-2 { tcp . 30080 . 1 : 10.244.2.4 . 8080 }\n"
            + "add element ip kube-proxy hairpin-ips { 10.244.2.4 . 10.244.2.4 }\n");
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, before, after, ImmutableSet.of(key))));
    assertThat(kernel.elements(V4, "service-ips-2")).contains("10.96.0.10 . tcp . 80 . 1 : 10.244.2.4 . 8080");
  }

  @Test
  @DisplayName("one lookup per space whatever the groups: a service growing into a new group changes its"
      + " dispatch verdict in the same transaction as its group elements and never rewrites a space chain")
  void dispatchIsOneLookupPerSpace() throws Exception {
    ForwardingTable before = SampleTables.allFeatures(IpFamily.V4);
    sync(before);
    List<String> spaceRules = kernel.rules(V4, "service-ips");
    ServicePortKey key = ServicePortKey.of("default", "web", "http", Protocol.TCP);
    var web = before.entry(key);
    var list = SampleTables.list(web.internal().endpoints().get(0), web.internal().endpoints().get(1),
        SampleTables.endpoint(dev.kubeproxy.api.IpAddress.parse("10.244.9.9"), 8080, false),
        SampleTables.endpoint(dev.kubeproxy.api.IpAddress.parse("10.244.9.10"), 8080, false));
    var after = before.withEntries(java.util.Map.of(key,
        dev.kubeproxy.api.ServiceEntry.builder(key, web.family()).frontends(web.frontends())
            .internal(list).external(list).cluster(list.endpoints()).affinity(web.affinity())
            .firewallSources(web.firewallSources()).build()));
    TableChange change = new TableChange(IpFamily.V4, before, after, ImmutableSet.of(key));
    String text = new NftRenderer().render(new NftCompiler().compile(
        change, false, backend.committed(IpFamily.V4), 0).transaction());
    assertThat(text)
        .contains("delete element ip kube-proxy service-ips { 10.96.0.10 . tcp . 80 }")
        .contains("add element ip kube-proxy service-ips { 10.96.0.10 . tcp . 80 comment"
            + " \"default/web:http\" : goto service-ips-4 }")
        .contains("add map ip kube-proxy service-ips-4", "add chain ip kube-proxy service-ips-4")
        .doesNotContain("flush chain ip kube-proxy service-ips\n", "add rule ip kube-proxy service-ips ");
    backend.sync(SyncRequest.partial(change));
    assertThat(kernel.rules(V4, "service-ips")).isEqualTo(spaceRules).hasSize(1);
    assertThat(kernel.elements(V4, "service-ips")).contains("10.96.0.10 . tcp . 80 : goto service-ips-4")
        .doesNotContain("10.96.0.10 . tcp . 80 : goto service-ips-2");
    assertThat(kernel.elements(V4, "service-nodeports")).contains("tcp . 30080 : goto service-nodeports-4-masq");
    for (String space : List.of("service-nodeports", "short-circuit-ips", "short-circuit-nodeports")) {
      assertThat(kernel.rules(V4, space)).singleElement()
          .satisfies(r -> assertThat(r).contains(" vmap @" + space + " "));
    }
  }

  @Test
  @DisplayName("traffic to no service address costs one lookup before the NodePort check, and local"
      + " traffic to no NodePort one more")
  void nonServiceTrafficIsOneLookup() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4));
    assertThat(kernel.rules(V4, "services").get(0)).startsWith(
        "ip daddr != @frontend-ips goto other-destinations");
    assertThat(kernel.rules(V4, "other-destinations")).singleElement()
        .satisfies(r -> assertThat(r).startsWith("fib daddr type local ip daddr != 127.0.0.0/8 goto nodeports"));
    assertThat(kernel.rules(V4, "nodeports").get(0)).startsWith(
        "meta l4proto . th dport != @frontend-nodeports return");
    assertThat(kernel.elements(V4, "frontend-ips"))
        .contains("10.96.0.10", "192.0.2.10", "198.51.100.7", "10.96.0.20")
        .doesNotHaveDuplicates();
    assertThat(kernel.elements(V4, "frontend-nodeports")).contains("tcp . 30080", "tcp . 30443");
  }

  @Test
  @DisplayName("a removed affinity service's group chain is flushed at once and deleted by a sync at least 1 s later")
  void staleChainsAreFlushedThenDeleted() throws Exception {
    long[] clock = {0};
    NftablesBackend b = new NftablesBackend(kernel, () -> clock[0]);
    ForwardingTable before = SampleTables.allFeatures(IpFamily.V4);
    b.sync(SyncRequest.full(TableChange.initial(before)));
    ServicePortKey sticky = ServicePortKey.of("apps", "sticky", "api", Protocol.TCP);
    ForwardingTable after = before.withEntries(java.util.Collections.singletonMap(sticky, null));
    b.sync(SyncRequest.partial(new TableChange(IpFamily.V4, before, after, ImmutableSet.of(sticky))));
    List<String> stale = List.of("service-ips-affinity-tcp-600-2");
    assertThat(stale).allSatisfy(c -> assertThat(kernel.rules(V4, c)).isEmpty());
    assertThat(kernel.sets(V4)).doesNotContain("service-ips-affinity-tcp-600-2");

    clock[0] = 500_000_000L;
    b.sync(SyncRequest.partial(new TableChange(IpFamily.V4, after, after, ImmutableSet.of())));
    assertThat(kernel.chains(V4)).containsAll(stale);
    clock[0] = 1_000_000_000L;
    b.sync(SyncRequest.partial(new TableChange(IpFamily.V4, after, after, ImmutableSet.of())));
    assertThat(kernel.chains(V4)).doesNotContainAnyElementsOf(stale);
  }

  @Test
  @DisplayName("a failed apply throws SyncException with the error, keeps the kernel, and makes the next sync full")
  void failureForcesFullSync() throws Exception {
    ForwardingTable table = SampleTables.allFeatures(IpFamily.V4);
    sync(table);
    String before = kernel.dump();
    NftablesBackend failing = new NftablesBackend(new NftKernel() {
      @Override
      public long apply(NftTransaction tx) throws NftException {
        throw new NftException("Error: Could not process rule: No buffer space available");
      }

      @Override
      public String list(NftTable t) throws NftException {
        throw new NftException("not listed");
      }

      @Override
      public ExistingObjects objects(NftTable t) {
        return ExistingObjects.ABSENT;
      }
    });
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> failing.sync(SyncRequest.full(TableChange.initial(table))))
        .isInstanceOf(dev.kubeproxy.api.backend.SyncException.class)
        .hasMessageContaining("No buffer space");
    assertThat(failing.committed(IpFamily.V4)).isNull();
    assertThat(kernel.dump()).isEqualTo(before);

    // A transaction the kernel refuses: deleting the table behind the backend's back.
    kernel.apply(NftTransaction.of(List.of(new NftOp.DeleteTable(V4))));
    ServicePortKey key = ServicePortKey.of("default", "web", "http", Protocol.TCP);
    ForwardingTable after = table.withEntries(java.util.Collections.singletonMap(key, null));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> backend.sync(SyncRequest.partial(
            new TableChange(IpFamily.V4, table, after, ImmutableSet.of(key)))))
        .hasMessageContaining("No such file");
    assertThat(backend.committed(IpFamily.V4)).isNull();
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, table, after, ImmutableSet.of(key))));
    assertThat(kernel.elements(V4, "cluster-ips")).doesNotContain("10.96.0.10").contains("10.96.0.53");
  }

  @Test
  @DisplayName("cleanup removes both tables and succeeds when they are absent")
  void cleanup() throws Exception {
    sync(SampleTables.allFeatures(IpFamily.V4), SampleTables.allFeatures(IpFamily.V6));
    backend.cleanup();
    assertThat(kernel.hasTable(V4)).isFalse();
    assertThat(kernel.hasTable(V6)).isFalse();
    backend.cleanup();
    assertThat(kernel.dump()).isEmpty();
    assertThat(backend.mode()).isEqualTo("nftables");
    assertThat(ImmutableList.of(kernel.transactions())).containsExactly(3);
  }

  @Test
  @DisplayName("service CIDRs: unallocated addresses inside them are dropped after the ClusterIP port reject; a change of them is a full sync")
  void serviceCidrsDropUnallocated() throws Exception {
    ForwardingTable before = SampleTables.allFeatures(IpFamily.V4);
    sync(before);
    assertThat(kernel.rules(V4, "cluster-ips-check")).containsExactly(
        "ip daddr @cluster-ips goto reject-chain comment \"Reject traffic to invalid ports of ClusterIPs\"",
        "ip daddr { 10.96.0.0/16 } drop comment \"Drop traffic to unallocated ClusterIPs\"");

    // A second range, and one inside the first (which adds nothing), replace the rule.
    ForwardingTable after = before.withFacts(before.facts().toBuilder()
        .serviceCidrs(List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("10.96.8.0/24"),
            Cidr.parse("10.100.0.0/24")))
        .build());
    TableChange change = new TableChange(IpFamily.V4, before, after, ImmutableSet.of());
    assertThat(new NftCompiler().compilesFully(change, false, backend.committed(IpFamily.V4)))
        .as("a facts change compiles fully").isTrue();
    backend.sync(SyncRequest.partial(change));
    assertThat(kernel.rules(V4, "cluster-ips-check")).contains(
        "ip daddr { 10.96.0.0/16, 10.100.0.0/24 } drop comment \"Drop traffic to unallocated ClusterIPs\"");

    ForwardingTable none = after.withFacts(after.facts().toBuilder().serviceCidrs(List.of()).build());
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, after, none, ImmutableSet.of())));
    assertThat(kernel.rules(V4, "cluster-ips-check")).containsExactly(
        "ip daddr @cluster-ips goto reject-chain comment \"Reject traffic to invalid ports of ClusterIPs\"");
  }
}
