package dev.kubeproxy.nftables;

import static dev.kubeproxy.model.conformance.LabCluster.PORT;
import static dev.kubeproxy.model.conformance.LabCluster.service;
import static dev.kubeproxy.model.conformance.LabCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.LabCluster;
import dev.kubeproxy.model.conformance.LabSuite;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the nftables backend leaves in the kernel, read with {@code nft list} in the lab's node:
 * the nftables side of what the conformance suites prove with packets.
 */
@KernelTest
class NftablesRulesKernelTest extends LabSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return NftablesUnderTest.INSTANCE;
  }

  /**
   * This kernel has no SCTP sockets, so no SCTP packet can be sent here: SCTP service ports are
   * proven through the rules instead, in the fake kernel's state and in {@code nft list} of the
   * real kernel, with the same element a TCP port gets.
   */
  @Test
  @DisplayName("SCTP ports get the same dispatch elements, in the fake kernel and in nft list")
  void sctpRulesInFakeAndRealKernel() throws Exception {
    Service svc =
        Service.builder(LabCluster.NAMESPACE, "sig")
            .clusterIp("10.96.0.60")
            .port("sctp", "SCTP", 7777)
            .port("tcp", "TCP", 7777)
            .build();
    EndpointSlice slice =
        EndpointSlice.builder(LabCluster.NAMESPACE, "sig-v4")
            .serviceName("sig")
            .port("sctp", "SCTP", 7000)
            .port("tcp", "TCP", 7000)
            .endpoint(epA.ipv4().toString(), LabCluster.NODE)
            .build();
    cluster.apply(svc, slice);
    String element = "10.96.0.60 . sctp . 7777 . 0 : " + epA.ipv4() + " . 7000";

    String real =
        lab.exec(lab.nodeNs(), "nft", "list", "table", "ip", "kube-proxy").stdout();
    FakeNftKernel fake = new FakeNftKernel();
    new NftablesBackend(fake)
        .sync(SyncRequest.full(TableChange.initial(cluster.table(IpFamily.V4))));
    String faked = fake.list(NftTable.kubeProxy(IpFamily.V4));

    for (String listing : List.of(real, faked)) {
      assertThat(listing).contains(element);
      assertThat(listing).contains("10.96.0.60 . tcp . 7777 . 0 : " + epA.ipv4() + " . 7000");
      // The group's DNAT carries no protocol match: the dispatch key holds the protocol.
      assertThat(listing).containsPattern(
          "dnat (ip )?to ip daddr \\. meta l4proto \\. th dport \\. numgen random mod 1 map");
    }
  }

  /**
   * Under pod churn a new connection can meet a commit that moves its frontend between
   * endpoint-count groups and find the frontend dispatched yet not be DNATed (issue 14: the node
   * forwarded it with the ClusterIP as destination and answered "network unreachable"). The
   * same view is made here by taking the frontend's group element out by hand: the packet is
   * dropped and counted in the nat chain, so nothing leaves with the service address and no
   * conntrack entry is confirmed that would keep the connection un-DNATed; with the element
   * back, the next connection is DNATed.
   */
  @Test
  @DisplayName("a dispatched frontend whose packet was not DNATed is dropped and counted, not forwarded")
  void dispatchedButNotDnatedIsDropped() throws Exception {
    IpAddress vip = IpAddress.parse("10.96.2.20");
    cluster.apply(service("race", vip.toString()).build(), slice("race", IpFamily.V4, epA));
    assertThat(lab.tcpRequest(client.netns(), vip, PORT, ANSWER).answered()).isTrue();
    String element = "{ " + vip + " . tcp . " + PORT + " . 0 }";
    lab.exec(lab.nodeNs(), "nft", "delete", "element", "ip", "kube-proxy", "service-ips-1", element);

    Reply raced = lab.tcpRequest(client.netns(), vip, PORT, Duration.ofMillis(500));

    assertThat(raced.outcome()).as("%s", raced).isEqualTo(Reply.Outcome.TIMEOUT);
    assertThat(lab.exec(lab.nodeNs(), "nft", "list", "chain", "ip", "kube-proxy", "services")
        .stdout()).containsPattern("@service-ips counter packets [1-9]\\d* bytes \\d+ drop");
    // An entry kept un-DNATed would answer from the ClusterIP itself.
    assertThat(lab.exec(lab.nodeNs(), "conntrack", "-L", "-d", vip.toString()).stdout())
        .as("no un-DNATed conntrack entry").doesNotContain("src=" + vip + " ");
    lab.exec(lab.nodeNs(), "nft", "add", "element", "ip", "kube-proxy", "service-ips-1",
        "{ " + vip + " . tcp . " + PORT + " . 0 : " + epA.ipv4() + " . " + LabCluster.TARGET_PORT + " }");
    assertThat(lab.tcpRequest(client.netns(), vip, PORT, ANSWER).answered()).isTrue();
  }

  /**
   * ClientIP affinity carries a remembered client's slot in {@code meta mark} (issue 13): a pod
   * client keeps its endpoint when only the slot map remembers it (the client set emptied by
   * hand, so the slot walk cannot find it), moves to a live endpoint when its own leaves, and no
   * packet leaves the nat hook with a mark. A client whose packets enter with a mark of their own
   * (set here by a probe chain before nat) takes the slot walk, sticks too, and keeps its mark.
   */
  @Test
  @DisplayName("ClientIP affinity: the slot carried in meta mark keeps clients on their endpoint, and every mark leaves as it came")
  void affinitySlotCarriedInTheMark() throws Exception {
    IpAddress vip = IpAddress.parse("10.96.2.30");
    cluster.apply(service("carry", vip.toString()).sessionAffinity("ClientIP", 300).build(),
        slice("carry", IpFamily.V4, epA, epB, epR));
    // Counts, after nat, new connections' packets by the mark they carry.
    nft("add", "table", "ip", "probe");
    nft("add", "chain", "ip", "probe", "forward", "{ type filter hook forward priority 0 ; }");
    nft("add", "rule", "ip", "probe", "forward", "ct", "state", "new", "meta", "mark", "0", "counter");
    nft("add", "rule", "ip", "probe", "forward", "ct", "state", "new", "meta", "mark", "0x1", "counter");
    nft("add", "rule", "ip", "probe", "forward", "ct", "state", "new", "meta", "mark", "!=", "{ 0, 0x1 }",
        "counter");
    String server = LabCluster.onlyServer(lab.tcpRequests(client.netns(), null, vip, PORT, 5, ANSWER), client);
    String remembered = client.ipv4() + " . " + vip + " . " + PORT;
    assertThat(nft("list", "map", "ip", "kube-proxy", "service-ips-affinity-slot")).contains(remembered);

    nft("flush", "set", "ip", "kube-proxy", "service-ips-affinity");
    assertThat(LabCluster.onlyServer(lab.tcpRequests(client.netns(), null, vip, PORT, 10, ANSWER), client))
        .as("remembered by the slot map alone").isEqualTo(server);
    assertThat(nft("list", "set", "ip", "kube-proxy", "service-ips-affinity"))
        .as("the slot chain refreshed the client set too").contains(remembered);

    List<dev.kubeproxy.api.testing.lab.Pod> rest = new java.util.ArrayList<>();
    for (dev.kubeproxy.api.testing.lab.Pod pod : List.of(epA, epB, epR)) {
      if (!pod.name().equals(server)) {
        rest.add(pod);
      }
    }
    cluster.apply(slice("carry", IpFamily.V4, rest.toArray(new dev.kubeproxy.api.testing.lab.Pod[0])));
    String moved = LabCluster.onlyServer(lab.tcpRequests(client.netns(), null, vip, PORT, 10, ANSWER), client);
    assertThat(moved).as("after its endpoint left").isNotEqualTo(server);

    // A remembered value the group has no slot for (slot 40 of tcp, as after a move to a smaller
    // group) takes the vmap's catch-all to the forget chain; the walk then finds the client set's
    // slot and the map remembers that one again.
    String slotMap = nft("list", "map", "ip", "kube-proxy", "service-ips-affinity-slot");
    String held = slotMap.substring(slotMap.indexOf(remembered)).split("[,}\n]")[0];
    nft("delete", "element", "ip", "kube-proxy", "service-ips-affinity-slot", "{ " + remembered + " }");
    nft("add", "element", "ip", "kube-proxy", "service-ips-affinity-slot",
        "{ " + remembered + " timeout 300s : " + ((6 << 16 | 40) + 1) + " }");
    assertThat(LabCluster.onlyServer(lab.tcpRequests(client.netns(), null, vip, PORT, 5, ANSWER), client))
        .as("a slot beyond the group's is forgotten, the client set's kept").isEqualTo(moved);
    assertThat(nft("list", "map", "ip", "kube-proxy", "service-ips-affinity-slot"))
        .doesNotContain("0x00060029").contains(held.substring(held.lastIndexOf(':')).strip());

    // A mark set before nat (priority -150, as mangle) sends the client through the slot walk.
    nft("add", "chain", "ip", "probe", "mangle", "{ type filter hook prerouting priority -150 ; }");
    nft("add", "rule", "ip", "probe", "mangle", "ip", "saddr", client.ipv4().toString(), "meta", "mark",
        "set", "0x1");
    assertThat(LabCluster.onlyServer(lab.tcpRequests(client.netns(), null, vip, PORT, 10, ANSWER), client))
        .as("with a mark of its own").isEqualTo(moved);

    String counters = nft("list", "chain", "ip", "probe", "forward");
    assertThat(counters).as("unmarked connections").contains("mark 0x00000000 counter packets 30 ");
    assertThat(counters).as("connections keeping their own mark")
        .contains("mark 0x00000001 counter packets 10 ");
    assertThat(counters).as("no other mark")
        .contains("mark != { 0x00000000, 0x00000001 } counter packets 0 ");
    nft("delete", "table", "ip", "probe");
  }

  /**
   * An eTP=Cluster external frontend enters its affinity group through the masquerading entry
   * chain, which carries the slot the same way before it marks the connection: an outside
   * client kept by the slot map alone (the client set emptied by hand before each of three
   * rounds, where the slot walk would pick anew) reaches its endpoint, masqueraded.
   */
  @Test
  @DisplayName("ClientIP affinity: an external frontend's client is carried to its slot too, and still masqueraded")
  void affinitySlotCarriedThroughTheMasqueradeEntry() throws Exception {
    IpAddress external = IpAddress.parse("198.51.100.40");
    cluster.apply(service("carry-ext", "10.96.2.31").externalIp(external.toString())
            .sessionAffinity("ClientIP", 300).build(),
        slice("carry-ext", IpFamily.V4, epA, epB, epR));
    IpAddress source = dev.kubeproxy.api.testing.lab.NetnsLab.outsideClientIp(IpFamily.V4, 1);
    String server = LabCluster.onlyServer(
        lab.tcpRequests(lab.outsideNs(), source, external, PORT, 5, ANSWER), source);
    assertThat(nft("list", "map", "ip", "kube-proxy", "service-ips-affinity-slot"))
        .contains(source + " . " + external + " . " + PORT);

    for (int round = 1; round <= 3; round++) {
      nft("flush", "set", "ip", "kube-proxy", "service-ips-affinity");
      List<Reply> replies = lab.tcpRequests(lab.outsideNs(), source, external, PORT, 5, ANSWER);
      assertThat(LabCluster.onlyServer(replies, source))
          .as("round %d, remembered by the slot map alone", round).isEqualTo(server);
      assertThat(replies).as("masqueraded")
          .allMatch(r -> r.seenSource().equals(dev.kubeproxy.api.testing.lab.NetnsLab.NODE_IP));
    }
  }

  private String nft(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("nft"));
    command.addAll(List.of(args));
    return lab.exec(lab.nodeNs(), command.toArray(new String[0])).stdout();
  }

  /** The nftables half of the lifecycle suite's cleanup test, which proves it with packets. */
  @Test
  @DisplayName("cleanup deletes the ip and ip6 kube-proxy tables")
  void cleanupDeletesBothTables() throws Exception {
    IpAddress vip = IpAddress.parse("10.96.2.10");
    cluster.apply(
        service("web", vip.toString()).clusterIp("fd00:96::2:10").build(),
        slice("web", IpFamily.V4, epA),
        slice("web", IpFamily.V6, epA));
    String before = lab.exec(lab.nodeNs(), "nft", "list", "tables").stdout();
    assertThat(before).contains("table ip kube-proxy", "table ip6 kube-proxy");
    assertThat(lab.tcpRequest(client.netns(), vip, PORT, ANSWER).answered()).isTrue();

    cluster.backend().cleanup();

    String after = lab.exec(lab.nodeNs(), "nft", "list", "tables").stdout();
    assertThat(after).doesNotContain("kube-proxy");
  }
}
