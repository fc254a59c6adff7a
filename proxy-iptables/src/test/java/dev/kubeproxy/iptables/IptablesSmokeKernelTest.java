package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The iptables backend programs a {@link NetnsLab} node namespace with real {@code
 * iptables-legacy-restore} and {@code iptables-nft-restore}, fed as the proxy feeds it (Services
 * and EndpointSlices through {@link ChangeTracker} and {@link TableBuilder}), and real packets
 * prove ClusterIP and NodePort TCP traffic reaches the endpoints, masqueraded where upstream
 * masquerades, in both families; a partial sync then takes an endpoint away.
 */
@KernelTest
class IptablesSmokeKernelTest {
  private static final String NODE = "lab-node";
  private static final int PORT = 80;
  private static final int TARGET_PORT = 8080;
  private static final int NODE_PORT = 30080;
  private static final Duration ANSWER = Duration.ofSeconds(2);
  private static final int MANY = 30;

  private static NetnsLab lab;
  private static Pod client;
  private static Pod epA;
  private static Pod epR;

  @BeforeAll
  static void createLab() throws Exception {
    lab = NetnsLab.builder().localPod("client").localPod("ep-a").remotePod("ep-r").build();
    client = lab.pod("client");
    epA = lab.pod("ep-a");
    epR = lab.pod("ep-r");
    lab.serve(epA, Protocol.TCP, TARGET_PORT);
    lab.serve(epR, Protocol.TCP, TARGET_PORT);
    // As a real node: a default route (towards the outside namespace) and no ICMP rate limit.
    lab.exec(lab.nodeNs(), "ip", "route", "add", "default", "via", "192.0.2.2");
    lab.exec(lab.nodeNs(), "ip", "-6", "route", "add", "default", "via", "2001:db8::2");
  }

  @AfterAll
  static void closeLab() {
    if (lab != null) {
      lab.close();
    }
  }

  private static ProxyConfig config() {
    return ProxyConfig.builder(NODE)
        .families(IpFamily.V4, IpFamily.V6)
        .nodeIps(List.of(NetnsLab.nodeIp(IpFamily.V4), NetnsLab.nodeIp(IpFamily.V6)))
        .clusterCidrs(List.of(NetnsLab.CLUSTER_CIDR, NetnsLab.CLUSTER_CIDR6))
        .detectLocal(LocalTrafficDetector.Mode.CLUSTER_CIDR)
        .build();
  }

  private static Service service() {
    return Service.builder("default", "web")
        .type("NodePort")
        .clusterIp("10.96.0.10")
        .clusterIp("fd00:96::10")
        .port("tcp", "TCP", PORT, NODE_PORT)
        .build();
  }

  private static EndpointSlice slice(IpFamily family, Pod... pods) {
    EndpointSlice.Builder b = EndpointSlice.builder("default", "web-" + family.name().toLowerCase())
        .serviceName("web")
        .addressType(family.kubernetesName())
        .port("tcp", "TCP", TARGET_PORT);
    for (Pod pod : pods) {
      b.endpoint(pod.ip(family).toString(), pod.local() ? NODE : "lab-remote-node");
    }
    return b.build();
  }

  private static Set<String> servers(List<Reply> replies) {
    assertThat(replies).as("replies").allMatch(Reply::answered);
    Set<String> names = new TreeSet<>();
    replies.forEach(r -> names.add(r.serverName()));
    return names;
  }

  @ParameterizedTest
  @ValueSource(strings = {"legacy", "nft"})
  void clusterIpAndNodePortReachEndpoints(String variant) throws Exception {
    IptBinaries binaries = variant.equals("legacy") ? IptBinaries.legacy() : IptBinaries.nft();
    IptablesBackend backend = new IptablesBackend(new RealIptKernel(lab.nodeRunner(), binaries));
    backend.cleanup();
    lab.exec(lab.nodeNs(), "conntrack", "-F");
    try {
      ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
      tracker.upsertService(service());
      tracker.upsertEndpointSlice(slice(IpFamily.V4, epA, epR));
      tracker.upsertEndpointSlice(slice(IpFamily.V6, epA, epR));
      Map<IpFamily, ForwardingTable> tables = build(tracker.drain().snapshot());
      List<TableChange> initial = new ArrayList<>();
      tables.values().forEach(t -> initial.add(TableChange.initial(t)));
      backend.sync(new SyncRequest(ImmutableList.copyOf(initial), true));

      IpAddress vip = IpAddress.parse("10.96.0.10");
      Set<String> both = new TreeSet<>(List.of("ep-a", "ep-r"));
      List<Reply> fromPod = lab.tcpRequests(client.netns(), null, vip, PORT, MANY, ANSWER);
      assertThat(servers(fromPod)).isEqualTo(both);
      assertThat(fromPod).allMatch(r -> r.seenSource().equals(client.ipv4()));
      List<Reply> fromOutside = lab.tcpRequests(lab.outsideNs(), null, vip, PORT, MANY, ANSWER);
      assertThat(servers(fromOutside)).isEqualTo(both);
      assertThat(fromOutside).allMatch(r -> r.seenSource().equals(NetnsLab.NODE_IP));
      List<Reply> nodePort =
          lab.tcpRequests(lab.outsideNs(), null, NetnsLab.NODE_IP, NODE_PORT, MANY, ANSWER);
      assertThat(servers(nodePort)).isEqualTo(both);
      assertThat(nodePort).allMatch(r -> r.seenSource().equals(NetnsLab.NODE_IP));
      // Localhost NodePorts (upstream's default): 127.0.0.1 on the node reaches the endpoints.
      assertThat(lab.exec(lab.nodeNs(), "sysctl", "-n", "net.ipv4.conf.all.route_localnet")
          .stdout().strip()).isEqualTo("1");
      List<Reply> localhost = lab.tcpRequests(lab.nodeNs(), null, IpAddress.parse("127.0.0.1"),
          NODE_PORT, MANY, ANSWER);
      assertThat(servers(localhost)).isEqualTo(both);
      assertThat(lab.exec(lab.nodeNs(), binaries.save4(), "-t", "filter").stdout())
          .contains("-A INPUT -j KUBE-FIREWALL")
          .contains("-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8");
      List<Reply> v6 = lab.tcpRequests(client.netns(), null, IpAddress.parse("fd00:96::10"), PORT,
          MANY, ANSWER);
      assertThat(servers(v6)).isEqualTo(both);
      assertThat(v6).allMatch(r -> r.seenSource().equals(client.ipv6()));

      // A partial sync (single-rule edits, no iptables-save) takes ep-r away.
      tracker.upsertEndpointSlice(slice(IpFamily.V4, epA));
      Map<IpFamily, ForwardingTable> next = build(tracker.drain().snapshot());
      List<TableChange> changes = new ArrayList<>();
      for (IpFamily family : next.keySet()) {
        changes.add(new TableChange(family, tables.get(family), next.get(family),
            changedKeys(tables.get(family), next.get(family))));
      }
      backend.sync(new SyncRequest(ImmutableList.copyOf(changes), false));
      assertThat(servers(lab.tcpRequests(client.netns(), null, vip, PORT, MANY, ANSWER)))
          .containsExactly("ep-a");
      assertThat(servers(lab.tcpRequests(lab.outsideNs(), null, NetnsLab.NODE_IP, NODE_PORT,
          MANY, ANSWER))).containsExactly("ep-a");
      String save = lab.exec(lab.nodeNs(), binaries.save4(), "-t", "nat").stdout();
      assertThat(save).contains(":KUBE-SVC-").contains("-j KUBE-NODEPORTS");

      // A firewall reload empties nat: the canary notices, and the next sync is full again.
      assertThat(backend.canaryIntact()).isTrue();
      lab.exec(lab.nodeNs(), binaries.iptables4(), "-w", "-t", "nat", "-F");
      lab.exec(lab.nodeNs(), binaries.iptables4(), "-w", "-t", "nat", "-X");
      assertThat(backend.canaryIntact()).isFalse();
      backend.sync(new SyncRequest(ImmutableList.copyOf(changes), false));
      assertThat(servers(lab.tcpRequests(client.netns(), null, vip, PORT, MANY, ANSWER)))
          .containsExactly("ep-a");
    } finally {
      backend.cleanup();
    }
    String save = lab.exec(lab.nodeNs(), binaries.save4(), "-t", "nat").stdout();
    assertThat(save).doesNotContain("KUBE-");
  }

  @ParameterizedTest
  @ValueSource(strings = {"legacy", "nft"})
  void localhostNodePortsSwitchedOffDoNotAnswerOnLoopback(String variant) throws Exception {
    IptBinaries binaries = variant.equals("legacy") ? IptBinaries.legacy() : IptBinaries.nft();
    IptablesBackend backend = new IptablesBackend(
        new RealIptKernel(lab.nodeRunner(), binaries), System::nanoTime, false);
    backend.cleanup();
    lab.exec(lab.nodeNs(), "conntrack", "-F");
    try {
      ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
      tracker.upsertService(service());
      tracker.upsertEndpointSlice(slice(IpFamily.V4, epA, epR));
      Map<IpFamily, ForwardingTable> tables = build(tracker.drain().snapshot());
      backend.sync(SyncRequest.full(TableChange.initial(tables.get(IpFamily.V4))));
      assertThat(servers(lab.tcpRequests(lab.outsideNs(), null, NetnsLab.NODE_IP, NODE_PORT,
          3, ANSWER))).isNotEmpty();
      List<Reply> localhost = lab.tcpRequests(lab.nodeNs(), null, IpAddress.parse("127.0.0.1"),
          NODE_PORT, 3, ANSWER);
      assertThat(localhost).noneMatch(Reply::answered);
      assertThat(lab.exec(lab.nodeNs(), binaries.save4(), "-t", "nat").stdout().lines())
          .anyMatch(l -> l.contains("! -d 127.0.0.0/8") && l.endsWith("-j KUBE-NODEPORTS"));
    } finally {
      backend.cleanup();
    }
  }

  private static Map<IpFamily, ForwardingTable> build(ClusterSnapshot snapshot) {
    Map<IpFamily, ForwardingTable> tables = new EnumMap<>(IpFamily.class);
    for (IpFamily family : config().families()) {
      tables.put(family, TableBuilder.build(family, snapshot, config()));
    }
    return tables;
  }

  private static ImmutableSet<ServicePortKey> changedKeys(ForwardingTable a, ForwardingTable b) {
    Set<ServicePortKey> keys = new HashSet<>();
    for (Map.Entry<ServicePortKey, ServiceEntry> e : a.entries().entrySet()) {
      if (!e.getValue().equals(b.entry(e.getKey()))) {
        keys.add(e.getKey());
      }
    }
    for (ServicePortKey key : b.entries().keySet()) {
      if (a.entry(key) == null) {
        keys.add(key);
      }
    }
    return ImmutableSet.copyOf(keys);
  }
}
