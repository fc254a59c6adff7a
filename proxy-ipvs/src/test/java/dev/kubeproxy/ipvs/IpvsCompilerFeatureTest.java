package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a full sync of the all-features sample programs, object by object, in the fake kernel. */
class IpvsCompilerFeatureTest {
  private static final IpAddress NODE = SampleTables.nodeAddress(IpFamily.V4);

  private static FakeIpvsKernel synced(IpvsConfig config, ForwardingTable... tables)
      throws Exception {
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    TableChange[] changes = new TableChange[tables.length];
    for (int i = 0; i < tables.length; i++) {
      changes[i] = TableChange.initial(tables[i]);
    }
    new IpvsBackend(kernel, config, () -> 0L).sync(SyncRequest.full(changes));
    return kernel;
  }

  private static VirtualServer vs(String ip, Protocol p, int port) {
    return VirtualServer.of(IpAddress.parse(ip), p, port);
  }

  private static RealServer rs(VirtualServer vs, String ip, int port) {
    return new RealServer(vs, IpAddress.parse(ip), port);
  }

  @Test
  void clusterIpAndNodePortAreVirtualServicesWithWeightOneMasqueradingRealServers()
      throws Exception {
    FakeIpvsKernel k = synced(IpvsConfig.DEFAULT, SampleTables.allFeatures(IpFamily.V4));
    VirtualServer web = vs("10.96.0.10", Protocol.TCP, 80);
    VirtualServer webNodePort = VirtualServer.of(NODE, Protocol.TCP, 30080);
    assertThat(k.services(IpFamily.V4))
        .containsEntry(web, new ServiceConfig("rr", 0, ""))
        .containsKey(webNodePort);
    assertThat(k.servers(IpFamily.V4))
        .containsEntry(rs(web, "10.244.1.2", 8080), 1)
        .containsEntry(rs(web, "10.244.2.3", 8080), 1)
        .containsEntry(rs(webNodePort, "10.244.2.3", 8080), 1);
    assertThat(k.members("KUBE-CLUSTER-IP"))
        .contains("10.96.0.10,tcp:80", "10.96.0.53,udp:53", "10.96.0.53,tcp:53");
    assertThat(k.members("KUBE-NODE-PORT-TCP")).contains("30080", "30443", "30081");
    assertThat(k.members("KUBE-NODE-PORT-LOCAL-TCP")).containsExactlyInAnyOrder("30443", "30081");
    // Every ClusterIP, ExternalIP and LB IP is bound once, even when two ports share it.
    assertThat(k.addresses())
        .contains(
            IpAddress.parse("10.96.0.10"),
            IpAddress.parse("10.96.0.53"),
            IpAddress.parse("198.51.100.7"),
            IpAddress.parse("192.0.2.10"))
        .doesNotContain(NODE);
    assertThat(k.members("KUBE-IPVS-IPS")).hasSize(k.addresses().size());
    assertThat(k.hasDevice()).isTrue();
    // Hairpin: local endpoints masquerade traffic that comes back to themselves.
    assertThat(k.members("KUBE-LOOP-BACK"))
        .contains("10.244.1.2,tcp:8080,10.244.1.2")
        .noneMatch(m -> m.startsWith("10.244.2.3,"));
  }

  @Test
  void affinityIsPersistenceSctpAndUdpAreServicesToo() throws Exception {
    FakeIpvsKernel k = synced(IpvsConfig.DEFAULT, SampleTables.allFeatures(IpFamily.V4));
    assertThat(k.services(IpFamily.V4))
        .containsEntry(vs("10.96.2.1", Protocol.TCP, 9000), new ServiceConfig("rr", 600, ""))
        .containsEntry(vs("198.51.100.8", Protocol.TCP, 9000), new ServiceConfig("rr", 600, ""))
        .containsKey(vs("10.96.2.2", Protocol.SCTP, 3868))
        .containsKey(vs("10.96.0.53", Protocol.UDP, 53));
  }

  @Test
  void schedulerIsASetting() throws Exception {
    FakeIpvsKernel k =
        synced(IpvsConfig.withScheduler("mh"), SampleTables.allFeatures(IpFamily.V4));
    assertThat(k.services(IpFamily.V4).values())
        .allMatch(c -> c.scheduler().equals("mh") && c.flags().equals("mh-port"));
  }

  @Test
  void emptyListsRejectOrDropThroughTheFilterGlue() throws Exception {
    FakeIpvsKernel k = synced(IpvsConfig.DEFAULT, SampleTables.allFeatures(IpFamily.V4));
    // No endpoint anywhere: REJECT, and no real server.
    assertThat(k.members("KUBE-NO-ENDPOINTS")).containsExactly("10.96.0.20,tcp:80");
    assertThat(k.servers(IpFamily.V4).keySet())
        .noneMatch(rs -> rs.service().equals(vs("10.96.0.20", Protocol.TCP, 80)));
    // internalTrafficPolicy Local without a local endpoint: DROP for everyone.
    assertThat(k.members("KUBE-NO-LOCAL-ENDPOINTS")).containsExactly("10.96.2.3,udp:53");
    // externalTrafficPolicy Local without a local endpoint: DROP for outsiders, while the
    // cluster-wide endpoints stay as real servers for pods and the node.
    assertThat(k.members("KUBE-NO-LOCAL-ENDPOINTS-EXT"))
        .containsExactlyInAnyOrder("198.51.100.7,tcp:80", NODE + ",tcp:30081");
    VirtualServer external = vs("198.51.100.7", Protocol.TCP, 80);
    assertThat(k.servers(IpFamily.V4))
        .containsOnlyKeys(
            k.servers(IpFamily.V4).keySet().stream()
                .filter(
                    rs ->
                        !rs.service().equals(external)
                            || rs.address().toString().equals("10.244.2.11"))
                .toList());
    assertThat(k.members("KUBE-EXTERNAL-IP-LOCAL")).contains("198.51.100.7,tcp:80");
    assertThat(k.rules(IpFamily.V4, "filter", "KUBE-PROXY-FIREWALL"))
        .contains(
            "-m comment --comment \"service without endpoints\" -m conntrack --ctstate NEW"
                + " -m set --match-set KUBE-NO-ENDPOINTS dst,dst -j REJECT",
            "-m comment --comment \"external traffic policy Local without local endpoints\" -m"
                + " conntrack --ctstate NEW -m set --match-set KUBE-NO-LOCAL-ENDPOINTS-EXT dst,dst"
                + " ! -s 10.244.0.0/16 -m addrtype ! --src-type LOCAL -j DROP");
  }

  @Test
  void loadBalancerWithLocalPolicyAndSourceRanges() throws Exception {
    FakeIpvsKernel k = synced(IpvsConfig.DEFAULT, SampleTables.allFeatures(IpFamily.V4));
    VirtualServer lb = vs("192.0.2.10", Protocol.TCP, 443);
    assertThat(k.servers(IpFamily.V4).keySet().stream().filter(rs -> rs.service().equals(lb)))
        .containsExactly(rs(lb, "10.244.1.5", 8443));
    assertThat(k.members("KUBE-LOAD-BALANCER")).containsExactly("192.0.2.10,tcp:443");
    assertThat(k.members("KUBE-LOAD-BALANCER-LOCAL")).containsExactly("192.0.2.10,tcp:443");
    assertThat(k.members("KUBE-LOAD-BALANCER-FW")).containsExactly("192.0.2.10,tcp:443");
    assertThat(k.members("KUBE-LOAD-BALANCER-SOURCE-CIDR"))
        .containsExactly("192.0.2.10,tcp:443,203.0.113.0/24");
    // The node's own range includes the LB IP, so the node may reach it: no out-filter rule.
    assertThat(k.members("KUBE-LOAD-BALANCER-SOURCE-IP"))
        .containsExactly("192.0.2.10,tcp:443,192.0.2.10");
    assertThat(k.rules(IpFamily.V4, "filter", "KUBE-IPVS-OUT-FILTER")).isEmpty();
    assertThat(k.members("KUBE-HEALTH-CHECK-NODE-PORT")).containsExactly("30999");
  }

  @Test
  void firewalledLoadBalancerTheNodeMayNotReachGetsAnOutFilterRule() throws Exception {
    ServicePortKey key = ServicePortKey.of("shop", "private", "", Protocol.TCP);
    ServiceEntry entry =
        ServiceEntry.builder(key, IpFamily.V4)
            .frontends(new Frontend(
                FrontendKind.LOAD_BALANCER, IpAddress.parse("192.0.2.20"), 443, Protocol.TCP))
            .internal(SampleTables.list())
            .external(SampleTables.list())
            .firewallSources(List.of(Cidr.parse("203.0.113.0/24")))
            .build();
    FakeIpvsKernel k =
        synced(
            IpvsConfig.DEFAULT,
            SampleTables.emptyNode(IpFamily.V4).withEntries(Map.of(key, entry)));
    assertThat(k.rules(IpFamily.V4, "filter", "KUBE-IPVS-OUT-FILTER"))
        .containsExactly(
            "-s 192.0.2.20 -m ipvs --vaddr 192.0.2.20 --vproto tcp --vport 443 -j DROP");
  }

  @Test
  void glueIsLinkedFromTheBuiltInChainsAndNodePortsCoverOnlyNodeAddresses() throws Exception {
    FakeIpvsKernel k =
        synced(
            IpvsConfig.DEFAULT,
            SampleTables.allFeatures(IpFamily.V4),
            SampleTables.allFeatures(IpFamily.V6));
    assertThat(k.jumps(IpFamily.V4)).hasSize(9);
    assertThat(k.jumps(IpFamily.V6)).hasSize(9);
    assertThat(k.rules(IpFamily.V4, "nat", "KUBE-SERVICES").get(0))
        .isEqualTo("-s 127.0.0.0/8 -j RETURN");
    assertThat(k.rules(IpFamily.V6, "nat", "KUBE-SERVICES").get(0))
        .isEqualTo("-s ::1/128 -j RETURN");
    assertThat(k.rules(IpFamily.V4, "nat", "KUBE-SERVICES"))
        .contains(
            "-m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ");
    assertThat(k.rules(IpFamily.V4, "nat", "KUBE-MARK-MASQ"))
        .containsExactly("-j MARK --or-mark 0x00004000");
    assertThat(k.members("KUBE-6-CLUSTER-IP")).contains("fd00:96::10,tcp:80");
    assertThat(k.members("KUBE-6-NODE-PORT-TCP")).contains("30080");
    assertThat(k.services(IpFamily.V6))
        .containsKey(VirtualServer.of(SampleTables.nodeAddress(IpFamily.V6), Protocol.TCP, 30080));
  }

  @Test
  void aSecondFullSyncOfTheSameTableChangesNoServiceAndNoMember() throws Exception {
    ForwardingTable table = SampleTables.allFeatures(IpFamily.V4);
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    IpvsCompiler compiler = new IpvsCompiler(IpvsConfig.DEFAULT, kernel);
    kernel.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4,
            compiler.full(table, IpvsExisting.nothing(IpFamily.V4), null, 0).transaction()));
    String before = kernel.dump();
    IpvsTransaction again = compiler.full(table, kernel.read(IpFamily.V4), null, 0).transaction();
    assertThat(again.ipvs()).isEmpty();
    assertThat(again.addresses()).isEmpty();
    assertThat(again.jumps()).isEmpty();
    assertThat(again.createDevice()).isFalse();
    assertThat(again.ipsets()).allMatch(op -> op instanceof IpsetOp.Create);
    kernel.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, again));
    assertThat(kernel.dump()).isEqualTo(before);
  }

  @Test
  void aFullSyncReplacesWhatAnotherRunLeftBehind() throws Exception {
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    IpvsCompiler compiler = new IpvsCompiler(new IpvsConfig("rr", Duration.ZERO), kernel);
    kernel.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4,
            compiler
                .full(
                    SampleTables.allFeatures(IpFamily.V4),
                    IpvsExisting.nothing(IpFamily.V4),
                    null,
                    0)
                .transaction()));
    ForwardingTable other = SampleTables.generated(IpFamily.V4, 3, 2, false);
    kernel.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, compiler.full(other, kernel.read(IpFamily.V4), null, 0).transaction()));
    FakeIpvsKernel fresh = new FakeIpvsKernel();
    fresh.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, 
            compiler.full(other, IpvsExisting.nothing(IpFamily.V4), null, 0).transaction()));
    assertThat(kernel.dump()).isEqualTo(fresh.dump());
  }

  @Test
  void aFullSyncLeavesVirtualServicesInsideExcludeCidrsAlone() throws Exception {
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    VirtualServer foreign = vs("10.200.0.1", Protocol.TCP, 80);
    VirtualServer stale = vs("10.96.9.9", Protocol.TCP, 80);
    kernel.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4,
            new IpvsTransaction(
                IpFamily.V4,
                ImmutableList.of(),
                false,
                ImmutableList.of(),
                ImmutableList.of(
                    new IpvsOp.AddService(foreign, new ServiceConfig("wrr", 0, "")),
                    new IpvsOp.AddServer(rs(foreign, "10.1.1.1", 80), 3),
                    new IpvsOp.AddService(stale, new ServiceConfig("rr", 0, ""))),
                ImmutableList.of(),
                ImmutableList.of(),
                com.google.common.collect.ImmutableMap.of())));
    IpvsConfig config = IpvsConfig.DEFAULT.withExcludeCidrs(List.of(Cidr.parse("10.200.0.0/16")));
    new IpvsBackend(kernel, config, () -> 0L)
        .sync(SyncRequest.full(TableChange.initial(SampleTables.allFeatures(IpFamily.V4))));
    assertThat(kernel.services(IpFamily.V4))
        .containsEntry(foreign, new ServiceConfig("wrr", 0, ""))
        .doesNotContainKey(stale);
    assertThat(kernel.servers(IpFamily.V4)).containsEntry(rs(foreign, "10.1.1.1", 80), 3);
  }

  @Test
  void fullSyncsSetTheSysctlsAndTimeoutsUpstreamSetsPartialOnesDoNot() throws Exception {
    IpvsConfig config =
        IpvsConfig.DEFAULT
            .withStrictArp(true)
            .withConnReuseModeZero(true)
            .withTimeouts(
                Duration.ofSeconds(900), Duration.ofSeconds(120), Duration.ofSeconds(300));
    FakeIpvsKernel k = synced(config, SampleTables.allFeatures(IpFamily.V4));
    assertThat(k.sysctls())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "net.ipv4.vs.conntrack",
                "1",
                "net.ipv4.vs.conn_reuse_mode",
                "0",
                "net.ipv4.vs.expire_nodest_conn",
                "1",
                "net.ipv4.vs.expire_quiescent_template",
                "1",
                "net.ipv4.ip_forward",
                "1",
                "net.ipv4.conf.all.arp_ignore",
                "1",
                "net.ipv4.conf.all.arp_announce",
                "2"));
    assertThat(k.timeouts()).isEqualTo(new IpvsOp.SetTimeouts(900, 120, 300));
    assertThat(String.join(" ", k.timeouts().args())).isEqualTo("--set 900 120 300");
    assertThat(synced(IpvsConfig.DEFAULT, SampleTables.allFeatures(IpFamily.V4)).sysctls())
        .doesNotContainKeys("net.ipv4.vs.conn_reuse_mode", "net.ipv4.conf.all.arp_ignore");
    IpvsCompiler compiler = new IpvsCompiler(config, RealServerConnections.NONE);
    ForwardingTable table = SampleTables.allFeatures(IpFamily.V4);
    IpvsState state = compiler.full(table, IpvsExisting.nothing(IpFamily.V4), null, 0).state();
    IpvsTransaction partial =
        compiler
            .partial(
                new TableChange(
                    IpFamily.V4, table, table, com.google.common.collect.ImmutableSet.of()),
                state,
                0)
            .transaction();
    assertThat(partial.isEmpty()).isTrue();
    assertThat(IpvsProvider.needsConnReuseModeZero("5.4.0-150-generic")).isTrue();
    assertThat(IpvsProvider.needsConnReuseModeZero("6.1.0-28-cloud-amd64")).isFalse();
    assertThat(IpvsProvider.needsConnReuseModeZero("3.10.0-1160.el7")).isFalse();
  }
}
