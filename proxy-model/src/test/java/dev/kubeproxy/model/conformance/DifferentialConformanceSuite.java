package dev.kubeproxy.model.conformance;

import static dev.kubeproxy.model.conformance.LabCluster.TARGET_PORT;
import static dev.kubeproxy.model.conformance.LabCluster.nodeOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.api.testing.lab.Reply.Outcome;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.trace.Packet;
import dev.kubeproxy.model.trace.Packet.Origin;
import dev.kubeproxy.model.trace.Trace;
import dev.kubeproxy.model.trace.TraceResult;
import dev.kubeproxy.model.trace.TraceResult.Destination;
import dev.kubeproxy.model.trace.TraceResult.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kernel agrees with {@link Trace}, the model's specification of upstream's rules: for a
 * seeded random small cluster (service types, traffic policies, affinity, source ranges,
 * endpoint sets and conditions among the lab's pods, detector mode, masqueradeAll), sampled
 * first packets from a pod, the node or outside to ClusterIP, NodePort, ExternalIP and
 * LoadBalancer frontends end as Trace says: FORWARD is answered by a server Trace lists, seeing
 * the node address exactly when Trace says the path is masqueraded; REJECT is refused; DROP
 * times out. A backend runs it as {@code <Mode>DifferentialKernelTest}.
 */
public abstract class DifferentialConformanceSuite extends LabSuite {
  private static final int PACKETS = 12;
  /** Expected drops wait this long; an answer on this lab takes milliseconds. */
  private static final Duration DROP_WAIT = Duration.ofMillis(500);

  private static final List<String> ENDPOINT_PODS = List.of("ep-a", "ep-b", "ep-r", "ep-s");

  private final Map<IpAddress, String> podByIp = new HashMap<>();

  /** The suite's lab plus a second remote endpoint pod, {@code ep-s}. */
  @Override
  protected NetnsLab.Builder labBuilder() {
    return super.labBuilder().remotePod("ep-s");
  }

  @BeforeAll
  void serveSecondRemotePod() {
    Pod epS = lab.pod("ep-s");
    lab.serve(epS, Protocol.TCP, TARGET_PORT);
    lab.serve(epS, Protocol.UDP, TARGET_PORT);
    for (String name : ENDPOINT_PODS) {
      podByIp.put(lab.pod(name).ipv4(), name);
    }
  }

  /** A lab namespace that sends packets, with the source address it binds and its origin. */
  private record Source(String netns, IpAddress address, Origin origin) {}

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  @DisplayName("sampled packets end in the kernel as Trace says (verdict, endpoint, masquerade)")
  @Requires({Capability.REJECT, Capability.DROP, Capability.SOURCE_PRESERVED})
  void kernelAgreesWithTrace(long seed) throws Exception {
    Random random = new Random(seed);
    cluster.reset(config(random));
    List<Object> objects = randomCluster(random);
    // Half in a full sync, the rest in a partial one: both paths build the rules under test.
    int half = objects.size() / 2;
    cluster.apply(objects.subList(0, half).toArray());
    cluster.apply(objects.subList(half, objects.size()).toArray());
    ForwardingTable table = cluster.table(IpFamily.V4);

    List<String> mismatches = new ArrayList<>();
    Map<String, Integer> seen = new TreeMap<>();
    String nodeDropExcluded = exclusions().reasons().get(Capability.DROP_FROM_NODE);
    String shortCircuitExcluded =
        exclusions().reasons().get(Capability.EXTERNAL_LOCAL_SHORT_CIRCUIT);
    for (int i = 0; i < PACKETS; i++) {
      Source source = randomSource(random);
      Packet packet = randomPacket(random, table, source);
      TraceResult expected = Trace.of(table, packet);
      if (nodeDropExcluded != null
          && packet.origin() == Origin.NODE
          && expected.verdict() == Verdict.DROP) {
        seen.merge("DROP from NODE -> EXCLUDED", 1, Integer::sum);
        continue;
      }
      if (shortCircuitExcluded != null && shortCircuits(table, expected)) {
        seen.merge("eTP=Local short-circuit -> EXCLUDED", 1, Integer::sum);
        continue;
      }
      Reply reply = send(source, packet, expected.verdict());
      seen.merge(
          expected.verdict() + (expected.masqueraded() ? "/masq" : "") + " "
              + (expected.frontend() == null ? "-" : expected.frontend().kind())
              + " " + packet.origin() + " -> " + reply.outcome(),
          1, Integer::sum);
      String problem = mismatch(expected, reply);
      if (problem != null) {
        mismatches.add(problem + "\n  kernel: " + reply + "\n  " + expected.toText());
      }
    }

    System.out.printf("seed %d: %s%n", seed, seen);
    if (seen.containsKey("DROP from NODE -> EXCLUDED")) {
      System.out.printf(
          "EXCLUDED DifferentialConformanceSuite.kernelAgreesWithTrace (seed %d), packets the"
              + " node sends that Trace drops, for %s: %s (%s)%n",
          seed, mode(), Capability.DROP_FROM_NODE, nodeDropExcluded);
    }
    if (seen.containsKey("eTP=Local short-circuit -> EXCLUDED")) {
      System.out.printf(
          "EXCLUDED DifferentialConformanceSuite.kernelAgreesWithTrace (seed %d), packets of pods"
              + " and the node to eTP=Local external frontends, for %s: %s (%s)%n",
          seed, mode(), Capability.EXTERNAL_LOCAL_SHORT_CIRCUIT, shortCircuitExcluded);
    }
    assertThat(mismatches).as("seed %d: packets where the kernel and Trace differ", seed)
        .isEmpty();
  }

  private static ProxyConfig config(Random random) {
    ProxyConfig.Builder config = LabCluster.defaultConfig().toBuilder();
    if (random.nextBoolean()) {
      config.detectLocal(
          LocalTrafficDetector.Mode.INTERFACE_NAME_PREFIX, null, NetnsLab.POD_INTERFACE_PREFIX);
    }
    return config.masqueradeAll(random.nextInt(5) == 0).build();
  }

  /** Whether a pod or the node sends {@code expected} to an eTP=Local external frontend. */
  private static boolean shortCircuits(ForwardingTable table, TraceResult expected) {
    return expected.verdict() == Verdict.FORWARD
        && expected.packet().origin() != Origin.EXTERNAL
        && expected.frontend().kind() != FrontendKind.CLUSTER_IP
        && table.entry(expected.service()).externalPolicyLocal();
  }

  /** Three or four services of random shape, each with its EndpointSlice. */
  private List<Object> randomCluster(Random random) {
    List<Object> objects = new ArrayList<>();
    int services = 3 + random.nextInt(2);
    for (int i = 0; i < services; i++) {
      String name = "svc" + i;
      String type = List.of("ClusterIP", "NodePort", "LoadBalancer").get(random.nextInt(3));
      Service.Builder svc =
          Service.builder(LabCluster.NAMESPACE, name)
              .type(type)
              .clusterIp("10.96.10." + (i + 1));
      int nodePort = type.equals("ClusterIP") ? 0 : 30100 + i;
      svc.port("tcp", "TCP", 80, nodePort).port("udp", "UDP", 80, nodePort);
      if (random.nextInt(3) == 0) {
        svc.externalIp("198.51.100." + (10 + i));
      }
      if (type.equals("LoadBalancer")) {
        svc.loadBalancerIngress("198.51.100." + (100 + i));
        if (random.nextInt(3) == 0) {
          svc.loadBalancerSourceRange(NetnsLab.outsideClientIp(IpFamily.V4, 0) + "/32");
        }
      }
      if (random.nextInt(3) == 0) {
        svc.externalTrafficPolicy("Local");
      }
      if (random.nextInt(4) == 0) {
        svc.internalTrafficPolicy("Local");
      }
      if (random.nextInt(5) == 0) {
        svc.sessionAffinity("ClientIP", 300);
      }
      objects.add(svc.build());
      objects.add(randomSlice(random, name));
    }
    return objects;
  }

  private EndpointSlice randomSlice(Random random, String service) {
    EndpointSlice.Builder slice = LabCluster.sliceBuilder(service, IpFamily.V4);
    for (String name : ENDPOINT_PODS) {
      if (random.nextInt(5) < 2) {
        continue;
      }
      Pod pod = lab.pod(name);
      int condition = random.nextInt(6);
      // Mostly ready; sometimes terminating but still serving; sometimes not serving at all.
      boolean ready = condition < 4;
      boolean serving = condition < 5;
      slice.endpoint(
          pod.ipv4().toString(), ready, serving, !ready, nodeOf(pod), null, null, null);
    }
    return slice.build();
  }

  private Source randomSource(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> new Source(lab.pod("client").netns(), lab.pod("client").ipv4(), Origin.POD);
      // A pod that is also an endpoint: it may land on itself (hairpin).
      case 1 -> new Source(lab.pod("ep-a").netns(), lab.pod("ep-a").ipv4(), Origin.POD);
      case 2 -> new Source(lab.nodeNs(), NetnsLab.NODE_IP, Origin.NODE);
      default ->
          new Source(
              lab.outsideNs(),
              NetnsLab.outsideClientIp(IpFamily.V4, random.nextInt(NetnsLab.OUTSIDE_CLIENTS)),
              Origin.EXTERNAL);
    };
  }

  /** A packet to a random frontend of the table (NodePorts on the node IP), or a wrong port. */
  private static Packet randomPacket(Random random, ForwardingTable table, Source source) {
    List<ServiceEntry> entries = new ArrayList<>(table.entries().values());
    entries.sort(Comparator.comparing(ServiceEntry::key));
    ServiceEntry entry = entries.get(random.nextInt(entries.size()));
    List<Frontend> frontends = new ArrayList<>(entry.frontends());
    frontends.sort(Comparator.comparing(Frontend::toString));
    Frontend f = frontends.get(random.nextInt(frontends.size()));
    IpAddress destination = f.kind() == FrontendKind.NODE_PORT ? NetnsLab.NODE_IP : f.address();
    int port = f.port();
    if (f.kind() == FrontendKind.CLUSTER_IP && random.nextInt(8) == 0) {
      port = 81;
    }
    return new Packet(source.address(), destination, port, f.protocol(), source.origin());
  }

  private Reply send(Source source, Packet packet, Verdict verdict) {
    Duration timeout = verdict == Verdict.DROP ? DROP_WAIT : ANSWER;
    return packet.protocol() == Protocol.TCP
        ? lab.tcpRequest(
            source.netns(), source.address(), packet.destination(), packet.port(), timeout)
        : lab.udpRequest(
            source.netns(), source.address(), 0, packet.destination(), packet.port(), timeout);
  }

  /**
   * A datagram the node itself sends and its own OUTPUT rules drop or reject: the kernel fails
   * the send with EPERM, so a host sender sees neither a timeout nor the ICMP error.
   */
  private static boolean droppedOnTheSender(TraceResult expected, Reply reply) {
    return expected.packet().origin() == Origin.NODE
        && reply.outcome() == Outcome.ERROR
        && reply.text().contains("Operation not permitted");
  }

  /** Why {@code reply} contradicts {@code expected}, or null when it agrees. */
  private String mismatch(TraceResult expected, Reply reply) {
    switch (expected.verdict()) {
      case FORWARD:
        if (!reply.answered()) {
          return "expected an answer";
        }
        Destination reached = null;
        for (Destination d : expected.destinations()) {
          if (reply.serverName().equals(podByIp.get(d.endpoint().address()))) {
            reached = d;
          }
        }
        if (reached == null) {
          return "answered by " + reply.serverName() + ", not one of "
              + ImmutableList.copyOf(
                  expected.reachableEndpoints().stream().map(ServiceEndpoint::address).toList());
        }
        IpAddress seen =
            reached.masqueraded() ? NetnsLab.NODE_IP : expected.packet().source();
        return reply.seenSource().equals(seen)
            ? null
            : "endpoint saw " + reply.seenSource() + ", expected " + seen;
      case REJECT:
        return reply.outcome() == Outcome.REFUSED || droppedOnTheSender(expected, reply)
            ? null
            : "expected REFUSED";
      case DROP:
        return reply.outcome() == Outcome.TIMEOUT || droppedOnTheSender(expected, reply)
            ? null
            : "expected TIMEOUT";
      default:
        return "sampled a packet Trace does not treat as a service packet";
    }
  }
}
