package dev.kubeproxy.api.testing.lab;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import dev.kubeproxy.api.testing.lab.Reply.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The lab with no rules at all: plain routing must already deliver every request with the
 * client's own source address, so any NAT a backend test later observes is the backend's.
 */
@KernelTest
class NetnsLabKernelTest {
  private static final int TCP_PORT = 8080;
  private static final int UDP_PORT = 5353;
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final List<String> ENDPOINTS = List.of("ep-a", "ep-b", "ep-r");

  private static NetnsLab lab;

  @BeforeAll
  static void setUp() throws CommandException {
    long start = System.nanoTime();
    lab =
        NetnsLab.builder()
            .localPod("client")
            .localPod("ep-a")
            .localPod("ep-b")
            .remotePod("ep-r")
            .build();
    long built = System.nanoTime();
    for (String name : ENDPOINTS) {
      lab.serve(lab.pod(name), Protocol.TCP, TCP_PORT);
      lab.serve(lab.pod(name), Protocol.UDP, UDP_PORT);
    }
    long serving = System.nanoTime();
    System.out.printf(
        "NetnsLab %s: namespaces and links %d ms, three endpoint servers %d ms%n",
        lab.prefix(), (built - start) / 1_000_000, (serving - built) / 1_000_000);
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      long start = System.nanoTime();
      lab.close();
      System.out.printf("NetnsLab close %d ms%n", (System.nanoTime() - start) / 1_000_000);
      assertThat(NetnsLab.listNamespaces()).noneMatch(ns -> ns.startsWith(lab.prefix()));
    }
  }

  @ParameterizedTest
  @EnumSource(IpFamily.class)
  @DisplayName("a pod reaches each local and remote endpoint's pod IP over TCP and UDP, unNATed")
  void podClientReachesEveryEndpoint(IpFamily family) {
    Pod client = lab.pod("client");
    for (String name : ENDPOINTS) {
      IpAddress target = lab.pod(name).ip(family);
      Reply tcp = lab.tcpRequest(client.netns(), target, TCP_PORT, TIMEOUT);
      Reply udp = lab.udpRequest(client.netns(), target, UDP_PORT, TIMEOUT);
      for (Reply reply : List.of(tcp, udp)) {
        assertThat(reply.outcome()).as("%s to %s", reply, name).isEqualTo(Outcome.ANSWERED);
        assertThat(reply.serverName()).isEqualTo(name);
        assertThat(reply.seenSource()).isEqualTo(client.ip(family));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(IpFamily.class)
  @DisplayName("an outside client reaches endpoints through the node, from the address it picks")
  void outsideClientReachesEndpoints(IpFamily family) {
    for (String name : ENDPOINTS) {
      IpAddress target = lab.pod(name).ip(family);
      Reply byDefault = lab.tcpRequest(lab.outsideNs(), target, TCP_PORT, TIMEOUT);
      assertThat(byDefault.outcome()).as("%s", byDefault).isEqualTo(Outcome.ANSWERED);
      assertThat(byDefault.serverName()).isEqualTo(name);
      assertThat(byDefault.seenSource()).isEqualTo(NetnsLab.outsideClientIp(family, 0));

      IpAddress chosen = NetnsLab.outsideClientIp(family, 3);
      Reply udp = lab.udpRequest(lab.outsideNs(), chosen, 0, target, UDP_PORT, TIMEOUT);
      assertThat(udp.outcome()).as("%s", udp).isEqualTo(Outcome.ANSWERED);
      assertThat(udp.seenSource()).isEqualTo(chosen);
    }
  }

  @ParameterizedTest
  @EnumSource(IpFamily.class)
  @DisplayName("traffic the node itself originates leaves with the node IP")
  void nodeClientUsesNodeIp(IpFamily family) {
    for (String name : ENDPOINTS) {
      Reply reply = lab.tcpRequest(lab.nodeNs(), lab.pod(name).ip(family), TCP_PORT, TIMEOUT);
      assertThat(reply.outcome()).as("%s", reply).isEqualTo(Outcome.ANSWERED);
      assertThat(reply.seenSource()).isEqualTo(NetnsLab.nodeIp(family));
    }
  }

  @Test
  @DisplayName("a remote endpoint reaches a local pod, and sees its unNATed address")
  void remotePodReachesLocalPod() {
    lab.serve(lab.pod("client"), Protocol.TCP, TCP_PORT);
    Reply reply =
        lab.tcpRequest(lab.pod("ep-r").netns(), lab.pod("client").ipv4(), TCP_PORT, TIMEOUT);
    assertThat(reply.outcome()).as("%s", reply).isEqualTo(Outcome.ANSWERED);
    assertThat(reply.serverName()).isEqualTo("client");
    assertThat(reply.seenSource()).isEqualTo(lab.pod("ep-r").ipv4());
  }

  @Test
  @DisplayName("masquerade on the node rewrites to the node IP, towards local and remote pods")
  void masqueradeUsesTheNodeIp() throws Exception {
    String rules =
        "table inet lab-masq {\n"
            + "  chain post { type nat hook postrouting priority srcnat; masquerade; }\n"
            + "}\n";
    try (NetnsLab small =
        NetnsLab.builder().localPod("c").localPod("l").remotePod("r").build()) {
      small.nodeRunner().run(Command.of(List.of("nft", "-f", "-"), rules.getBytes(UTF_8)));
      for (IpFamily family : IpFamily.values()) {
        for (String name : List.of("l", "r")) {
          small.serve(small.pod(name), Protocol.TCP, TCP_PORT);
          Reply reply =
              small.tcpRequest(
                  small.pod("c").netns(), small.pod(name).ip(family), TCP_PORT, TIMEOUT);
          assertThat(reply.outcome()).as("%s", reply).isEqualTo(Outcome.ANSWERED);
          assertThat(reply.seenSource())
              .as("%s %s", family, name)
              .isEqualTo(NetnsLab.nodeIp(family));
        }
      }
    }
  }

  @Test
  @DisplayName("batch requests: N connections in one round trip; a fixed UDP source port holds")
  void batches() {
    String client = lab.pod("client").netns();
    List<Reply> tcp = lab.tcpRequests(client, null, lab.pod("ep-b").ipv4(), TCP_PORT, 5, TIMEOUT);
    assertThat(tcp).hasSize(5).allSatisfy(r -> assertThat(r.serverName()).isEqualTo("ep-b"));
    List<Reply> udp =
        lab.udpRequests(client, null, 40000, lab.pod("ep-a").ipv6(), UDP_PORT, 3, TIMEOUT);
    assertThat(udp)
        .hasSize(3)
        .allSatisfy(r -> assertThat(r.seenSource()).isEqualTo(lab.pod("client").ipv6()));
  }

  @Test
  @DisplayName("failures are typed: refused port, stopped server, dropped, prohibited, unrouted")
  void failuresAreTyped() throws CommandException {
    String client = lab.pod("client").netns();
    IpAddress epA = lab.pod("ep-a").ipv4();
    assertThat(lab.tcpRequest(client, epA, 9, TIMEOUT).outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(lab.udpRequest(client, epA, 9, TIMEOUT).outcome()).isEqualTo(Outcome.REFUSED);

    lab.stopServing(lab.pod("ep-a"), Protocol.UDP, UDP_PORT);
    assertThat(lab.udpRequest(client, epA, UDP_PORT, TIMEOUT).outcome())
        .isEqualTo(Outcome.REFUSED);
    lab.serve(lab.pod("ep-a"), Protocol.UDP, UDP_PORT);
    assertThat(lab.udpRequest(client, epA, UDP_PORT, TIMEOUT).outcome())
        .isEqualTo(Outcome.ANSWERED);

    lab.exec(lab.nodeNs(), "ip", "route", "add", "blackhole", "10.96.0.1/32");
    lab.exec(lab.nodeNs(), "ip", "route", "add", "prohibit", "10.96.0.2/32");
    Duration shortWait = Duration.ofMillis(300);
    IpAddress dropped = IpAddress.parse("10.96.0.1");
    assertThat(lab.tcpRequest(client, dropped, 80, shortWait).outcome())
        .isEqualTo(Outcome.TIMEOUT);
    assertThat(lab.udpRequest(client, dropped, 80, shortWait).outcome())
        .isEqualTo(Outcome.TIMEOUT);
    IpAddress prohibited = IpAddress.parse("10.96.0.2");
    assertThat(lab.tcpRequest(client, prohibited, 80, TIMEOUT).outcome())
        .isEqualTo(Outcome.UNREACHABLE);
    assertThat(lab.tcpRequest(client, IpAddress.parse("10.97.0.1"), 80, TIMEOUT).outcome())
        .as("no route on the node: ICMP net unreachable")
        .isEqualTo(Outcome.UNREACHABLE);
  }

  @Test
  @DisplayName("commands run only in lab namespaces; nodeRunner runs in the node namespace")
  void commandsStayInTheLab() throws CommandException {
    String links = lab.nodeRunner().run(Command.of("ip", "-o", "link", "show")).stdout();
    assertThat(links).contains(NetnsLab.NODE_EXTERNAL_INTERFACE).contains("rnode0");
    assertThatThrownBy(() -> lab.exec("some-other-ns", "true"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("cleanupLeftovers deletes dead runs' namespaces and processes, keeps live ones")
  void cleanupLeftovers() throws Exception {
    Process exited = new ProcessBuilder("true").start();
    exited.waitFor(5, TimeUnit.SECONDS);
    String leftover = "kpj-zzzzz-" + exited.pid() + "-node";
    ProcessCommandRunner runner = new ProcessCommandRunner();
    runner.run(Command.of("ip", "netns", "add", leftover));
    Process straggler =
        new ProcessBuilder("ip", "netns", "exec", leftover, "sleep", "600").start();
    try {
      assertThat(NetnsLab.cleanupLeftovers()).containsExactly(leftover);
      assertThat(straggler.waitFor(5, TimeUnit.SECONDS)).as("straggler killed").isTrue();
      assertThat(NetnsLab.listNamespaces())
          .doesNotContain(leftover)
          .containsAll(lab.namespaces());
    } finally {
      straggler.destroyForcibly();
      if (NetnsLab.listNamespaces().contains(leftover)) {
        runner.run(Command.of("ip", "netns", "delete", leftover));
      }
    }
  }

  @Test
  @DisplayName("close() deletes every namespace even when the body throws; root links untouched")
  void closeRunsWhenTheBodyThrows() throws Exception {
    String rootLinksBefore = rootLinkNames();
    NetnsLab[] created = new NetnsLab[1];
    assertThatThrownBy(
            () -> {
              try (NetnsLab small = NetnsLab.builder().localPod("a").remotePod("b").build()) {
                created[0] = small;
                assertThat(rootLinkNames()).isEqualTo(rootLinksBefore);
                Reply reply =
                    small.tcpRequest(
                        small.pod("a").netns(), small.pod("b").ipv4(), TCP_PORT, TIMEOUT);
                assertThat(reply.outcome()).isEqualTo(Outcome.REFUSED);
                throw new IllegalStateException("test body failed");
              }
            })
        .hasMessage("test body failed");
    assertThat(created[0].isClosed()).isTrue();
    assertThat(NetnsLab.listNamespaces()).noneMatch(ns -> ns.startsWith(created[0].prefix()));
    assertThat(rootLinkNames()).isEqualTo(rootLinksBefore);
  }

  private static String rootLinkNames() throws CommandException {
    return new ProcessCommandRunner()
        .run(Command.of("ip", "-o", "link", "show"))
        .stdout()
        .lines()
        .map(line -> line.split(":")[1].trim())
        .sorted()
        .reduce("", (a, b) -> a + b + "\n");
  }
}
