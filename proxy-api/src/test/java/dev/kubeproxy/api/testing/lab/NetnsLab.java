package dev.kubeproxy.api.testing.lab;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A throwaway network of namespaces that stands in for a Kubernetes node, its pods, another
 * node and the outside world, so backends can program real rules and real packets can prove
 * where they land (DESIGN §7, layer 3).
 *
 * <pre>
 *  [outside]  eth0: 192.0.2.2/32, 2001:db8::2/128
 *             clients 203.0.113.10-14/32, 2001:db8:1::10-14/128 (the first is the default source)
 *             default via 192.0.2.1 / 2001:db8::1 (so ExternalIPs and LB IPs reach the node)
 *      |
 *      | veth
 *      |
 *  [node]     ext0: 192.0.2.1/24 (NODE_IP) + 192.0.2.11, 2001:db8::1/64 + ::11 (deprecated)
 *             lo: 169.254.1.1/32 scope link (every pod's gateway); forwarding on; rp_filter off
 *             veth1 (fe80::1) ---- eth0 [1st local pod]  10.244.1.10/32, fd00:10:244:1::10/128
 *             veth2 (fe80::1) ---- eth0 [2nd local pod]  10.244.1.11/32, fd00:10:244:1::11/128
 *             rnode0 (fe80::1)     routes 10.244.2.0/24, fd00:10:244:2::/64 to the remote node
 *      |
 *      | veth
 *      |
 *  [rnode]    eth0: 192.0.2.3/32, 2001:db8::3/128, fe80::3; forwarding on, no NAT
 *             veth1 (fe80::1) ---- eth0 [1st remote pod] 10.244.2.10/32, fd00:10:244:2::10/128
 * </pre>
 *
 * <p>Each pod has its own veth pair and is routed as CNI plugins route pods: the pod's default
 * route is {@code via 169.254.1.1 dev eth0 onlink} (IPv6 {@code via fe80::1}), and its node
 * holds a host route to it through its veth. No two pods share an L2 segment, so every reply
 * crosses the node's netfilter hooks. The node routes {@code 10.244.2.0/24} and {@code
 * fd00:10:244:2::/64} to the remote node, which forwards without any NAT. Locally originated and
 * masqueraded node traffic leaves with the node address ({@link #NODE_IP}), because {@code ext0}
 * is the node's first interface with an address and the pod routes carry {@code src NODE_IP}.
 * ExternalIPs and LoadBalancer IPs reach the node through the outside namespace's default route.
 * IPv6 duplicate address detection is off, so every address is usable at once.
 *
 * <p>Nothing is ever created in, or linked to, the machine's own namespace: links are created
 * from inside the node namespaces with both ends placed directly in lab namespaces. All
 * namespace names start with {@link #prefix()}, {@code kpj-<random5>-<pid>-}; {@link #close()}
 * deletes them (also from a shutdown hook), and {@link #cleanupLeftovers()} deletes those a dead
 * JVM left behind.
 *
 * <p>Each namespace that serves or sends test traffic has one agent (pods, node and outside
 * start theirs in parallel during {@link Builder#build()}, the remote node's on first use); on
 * this machine it is a {@link LabAgent} JVM, on another {@link LabHost} (a VM's guest) whatever
 * that host runs. Servers answer {@code NAME SOURCE-IP}, so a test sees which endpoint answered
 * and whether the client was masqueraded. Leftover cleanup and the shutdown hook apply to labs
 * on this machine only.
 */
public final class NetnsLab implements AutoCloseable {
  /** The node's address on its external link: NodePort and node-source tests use it. */
  public static final IpAddress NODE_IP = IpAddress.parse("192.0.2.1");

  public static final IpAddress NODE_IP6 = IpAddress.parse("2001:db8::1");
  /** A second node address on the external link, for nodePortAddresses tests. */
  public static final IpAddress NODE_SECONDARY_IP = IpAddress.parse("192.0.2.11");

  public static final IpAddress NODE_SECONDARY_IP6 = IpAddress.parse("2001:db8::11");
  public static final IpAddress REMOTE_NODE_IP = IpAddress.parse("192.0.2.3");
  public static final IpAddress REMOTE_NODE_IP6 = IpAddress.parse("2001:db8::3");
  /** Pods on the lab's node. */
  public static final Cidr LOCAL_POD_CIDR = Cidr.parse("10.244.1.0/24");

  public static final Cidr LOCAL_POD_CIDR6 = Cidr.parse("fd00:10:244:1::/64");
  /** Pods behind the remote node. */
  public static final Cidr REMOTE_POD_CIDR = Cidr.parse("10.244.2.0/24");

  public static final Cidr REMOTE_POD_CIDR6 = Cidr.parse("fd00:10:244:2::/64");
  /** All pods, both nodes (a cluster CIDR for the local-traffic detector). */
  public static final Cidr CLUSTER_CIDR = Cidr.parse("10.244.0.0/16");

  public static final Cidr CLUSTER_CIDR6 = Cidr.parse("fd00:10:244::/48");
  /** Node-side pod interfaces are named with this prefix (interface-name-prefix detector). */
  public static final String POD_INTERFACE_PREFIX = "veth";
  /** The node's interface towards the outside namespace. */
  public static final String NODE_EXTERNAL_INTERFACE = "ext0";

  /** How many client addresses the outside namespace has per family. */
  public static final int OUTSIDE_CLIENTS = 5;

  private static final Pattern OWNED_NAME = Pattern.compile("kpj-[a-z0-9]{5}-(\\d+)-.+");
  private static final Set<NetnsLab> OPEN = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean HOOK_INSTALLED = new AtomicBoolean();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String prefix;
  private final String node;
  private final String outside;
  private final String remoteNode;
  private final ImmutableMap<String, Pod> pods;
  private final ImmutableList<String> namespaces;
  private final LabHost host;
  private final CommandRunner runner;
  private final Map<String, LabHost.Agent> agents = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ExecutorService executor;

  private NetnsLab(
      LabHost host, String prefix, List<String> localPods, List<String> remotePods) {
    this.host = host;
    this.runner = host.runner();
    this.prefix = prefix;
    this.node = prefix + "node";
    this.outside = prefix + "outside";
    this.remoteNode = prefix + "rnode";
    ImmutableMap.Builder<String, Pod> podsBuilder = ImmutableMap.builder();
    for (int i = 0; i < localPods.size(); i++) {
      podsBuilder.put(localPods.get(i), pod(localPods.get(i), true, i));
    }
    for (int i = 0; i < remotePods.size(); i++) {
      podsBuilder.put(remotePods.get(i), pod(remotePods.get(i), false, i));
    }
    this.pods = podsBuilder.build();
    ImmutableList.Builder<String> all = ImmutableList.builder();
    all.add(node, outside, remoteNode);
    pods.values().forEach(p -> all.add(p.netns()));
    this.namespaces = all.build();
    this.executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, prefix + "setup");
              t.setDaemon(true);
              return t;
            });
  }

  private Pod pod(String name, boolean local, int index) {
    int host = 10 + index;
    String subnet = local ? "1" : "2";
    return new Pod(
        name,
        prefix + "pod-" + name,
        IpAddress.parse("10.244." + subnet + "." + host),
        IpAddress.parse("fd00:10:244:" + subnet + "::" + host),
        local);
  }

  /** A lab to be described: add pods, then {@link Builder#build()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Describes the pods of a lab. */
  public static final class Builder {
    private final List<String> localPods = new ArrayList<>();
    private final List<String> remotePods = new ArrayList<>();
    private LabHost host = LabHost.local();

    private Builder() {}

    /** Builds the lab on {@code host} instead of this machine (e.g. in a VM's guest). */
    public Builder host(LabHost host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** A pod on the lab's node (a client, or a local endpoint). */
    public Builder localPod(String name) {
      add(localPods, name);
      return this;
    }

    /** A pod behind the remote node (a remote endpoint). */
    public Builder remotePod(String name) {
      add(remotePods, name);
      return this;
    }

    private void add(List<String> list, String name) {
      checkArgument(
          name != null && name.matches("[a-z][a-z0-9-]{0,30}"),
          "pod name must be a short lower-case DNS label: %s",
          name);
      checkArgument(
          !localPods.contains(name) && !remotePods.contains(name), "duplicate pod %s", name);
      checkArgument(list.size() < 200, "too many pods");
      list.add(name);
    }

    /**
     * Creates every namespace, link, address and route; on any failure deletes what it made.
     *
     * @throws CommandException when an {@code ip} or {@code sysctl} command fails
     */
    public NetnsLab build() throws CommandException {
      if (host.isLocal()) {
        cleanupLeftovers();
      }
      NetnsLab lab = new NetnsLab(host, newPrefix(), localPods, remotePods);
      if (host.isLocal()) {
        installShutdownHook();
        OPEN.add(lab);
      }
      try {
        lab.create();
        return lab;
      } catch (CommandException | RuntimeException e) {
        lab.close();
        throw e;
      }
    }
  }

  /** A fresh {@code kpj-<random5>-<pid>-} prefix; the pid lets leftovers be told from live labs. */
  static String newPrefix() {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    StringBuilder random = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      random.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
    }
    return "kpj-" + random + "-" + ProcessHandle.current().pid() + "-";
  }

  private void create() throws CommandException {
    StringBuilder add = new StringBuilder();
    namespaces.forEach(ns -> add.append("netns add ").append(ns).append('\n'));
    run(Command.of(List.of("ip", "-batch", "-"), bytes(add)));

    List<Pod> local = pods.values().stream().filter(Pod::local).toList();
    List<Pod> remote = pods.values().stream().filter(p -> !p.local()).toList();
    // Sysctls first: links created later inherit the namespace defaults (no DAD, no rp_filter).
    parallel(namespaces.stream().map(ns -> (Step) () -> sysctls(ns)).toList());
    ipBatch(node, nodeScript(local));
    List<Step> second = new ArrayList<>();
    second.add(() -> ipBatch(remoteNode, remoteNodeScript(remote)));
    second.add(() -> ipBatch(outside, outsideScript()));
    local.forEach(p -> second.add(() -> ipBatch(p.netns(), podScript(p))));
    parallel(second);
    parallel(remote.stream().map(p -> (Step) () -> ipBatch(p.netns(), podScript(p))).toList());
    // Agents start in parallel now rather than one by one on first use.
    List<Step> agentStarts = new ArrayList<>();
    for (String ns : namespaces) {
      if (!ns.equals(remoteNode)) {
        agentStarts.add(() -> agent(ns));
      }
    }
    parallel(agentStarts);
  }

  private void sysctls(String ns) throws CommandException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "sysctl", "-q", "-w"));
    argv.addAll(
        List.of(
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
            "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0"));
    if (ns.equals(node) || ns.equals(remoteNode)) {
      argv.addAll(
          List.of(
              "net.ipv4.ip_forward=1",
              "net.ipv6.conf.all.forwarding=1",
              "net.ipv6.conf.default.forwarding=1"));
    }
    run(Command.of(argv, null));
  }

  private String nodeScript(List<Pod> local) {
    StringBuilder s = new StringBuilder();
    // ext0 first: the first addressed interface gives masquerade its source (NODE_IP).
    line(s, "link add %s type veth peer name eth0 netns %s", NODE_EXTERNAL_INTERFACE, outside);
    line(s, "link set lo up");
    line(s, "addr add 169.254.1.1/32 dev lo scope link");
    line(s, "link set %s up", NODE_EXTERNAL_INTERFACE);
    line(s, "addr add %s/24 dev %s", NODE_IP, NODE_EXTERNAL_INTERFACE);
    line(s, "addr add %s/24 dev %s", NODE_SECONDARY_IP, NODE_EXTERNAL_INTERFACE);
    line(s, "addr add %s/64 dev %s nodad", NODE_IP6, NODE_EXTERNAL_INTERFACE);
    // Deprecated, so the kernel never picks it as a source address.
    line(s, "addr add %s/64 dev %s nodad preferred_lft 0", NODE_SECONDARY_IP6,
        NODE_EXTERNAL_INTERFACE);
    line(s, "route add 203.0.113.0/24 via 192.0.2.2 dev %s src %s", NODE_EXTERNAL_INTERFACE,
        NODE_IP);
    line(s, "route add 2001:db8:1::/64 via 2001:db8::2 dev %s src %s", NODE_EXTERNAL_INTERFACE,
        NODE_IP6);
    line(s, "link add rnode0 type veth peer name eth0 netns %s", remoteNode);
    line(s, "link set rnode0 up");
    line(s, "addr add fe80::1/64 dev rnode0 nodad");
    line(s, "route add %s/32 dev rnode0 src %s", REMOTE_NODE_IP, NODE_IP);
    line(s, "route add %s via %s dev rnode0 onlink src %s", REMOTE_POD_CIDR, REMOTE_NODE_IP,
        NODE_IP);
    line(s, "route add %s/128 dev rnode0 src %s", REMOTE_NODE_IP6, NODE_IP6);
    line(s, "route add %s via fe80::3 dev rnode0 src %s", REMOTE_POD_CIDR6, NODE_IP6);
    podLinks(s, local, NODE_IP, NODE_IP6);
    return s.toString();
  }

  private String remoteNodeScript(List<Pod> remote) {
    StringBuilder s = new StringBuilder();
    line(s, "link set lo up");
    line(s, "addr add 169.254.1.1/32 dev lo scope link");
    line(s, "link set eth0 up");
    line(s, "addr add %s/32 dev eth0", REMOTE_NODE_IP);
    line(s, "addr add %s/128 dev eth0 nodad", REMOTE_NODE_IP6);
    line(s, "addr add fe80::3/64 dev eth0 nodad");
    line(s, "route add %s/32 dev eth0", NODE_IP);
    line(s, "route add default via %s dev eth0 src %s", NODE_IP, REMOTE_NODE_IP);
    line(s, "route add default via fe80::1 dev eth0 src %s", REMOTE_NODE_IP6);
    podLinks(s, remote, REMOTE_NODE_IP, REMOTE_NODE_IP6);
    return s.toString();
  }

  private void podLinks(StringBuilder s, List<Pod> list, IpAddress src, IpAddress src6) {
    for (int i = 0; i < list.size(); i++) {
      Pod pod = list.get(i);
      String veth = POD_INTERFACE_PREFIX + (i + 1);
      line(s, "link add %s type veth peer name eth0 netns %s", veth, pod.netns());
      line(s, "link set %s up", veth);
      line(s, "addr add fe80::1/64 dev %s nodad", veth);
      line(s, "route add %s/32 dev %s src %s", pod.ipv4(), veth, src);
      line(s, "route add %s/128 dev %s src %s", pod.ipv6(), veth, src6);
    }
  }

  private String outsideScript() {
    StringBuilder s = new StringBuilder();
    line(s, "link set lo up");
    line(s, "link set eth0 up");
    line(s, "addr add 192.0.2.2/32 dev eth0");
    line(s, "addr add 2001:db8::2/128 dev eth0 nodad");
    for (int i = 0; i < OUTSIDE_CLIENTS; i++) {
      line(s, "addr add %s/32 dev eth0", outsideClientIp(IpFamily.V4, i));
      line(s, "addr add %s/128 dev eth0 nodad", outsideClientIp(IpFamily.V6, i));
    }
    IpAddress src = outsideClientIp(IpFamily.V4, 0);
    IpAddress src6 = outsideClientIp(IpFamily.V6, 0);
    line(s, "route add 192.0.2.0/24 dev eth0 src %s", src);
    line(s, "route add default via %s dev eth0 src %s", NODE_IP, src);
    line(s, "route add 2001:db8::/64 dev eth0 src %s", src6);
    line(s, "route add default via %s dev eth0 src %s", NODE_IP6, src6);
    return s.toString();
  }

  private static String podScript(Pod pod) {
    StringBuilder s = new StringBuilder();
    line(s, "link set lo up");
    line(s, "link set eth0 up");
    line(s, "addr add %s/32 dev eth0", pod.ipv4());
    line(s, "addr add %s/128 dev eth0 nodad", pod.ipv6());
    line(s, "route add default via 169.254.1.1 dev eth0 onlink");
    line(s, "route add default via fe80::1 dev eth0");
    return s.toString();
  }

  private static void line(StringBuilder s, String format, Object... args) {
    s.append(String.format(format, args)).append('\n');
  }

  private void ipBatch(String ns, String script) throws CommandException {
    run(Command.of(List.of("ip", "-n", ns, "-batch", "-"), bytes(script)));
  }

  /** A set-up step that runs a command. */
  private interface Step {
    void run() throws CommandException;
  }

  private void parallel(List<Step> steps) throws CommandException {
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (Step step : steps) {
      futures.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  step.run();
                } catch (CommandException e) {
                  throw new CompletionException(e);
                }
              },
              executor));
    }
    try {
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof CommandException ce) {
        throw ce;
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- accessors

  /** The prefix every namespace of this lab starts with. */
  public String prefix() {
    return prefix;
  }

  /** The node namespace, where a backend programs its rules. */
  public String nodeNs() {
    return node;
  }

  /** The outside namespace: external clients at {@link #outsideClientIp}. */
  public String outsideNs() {
    return outside;
  }

  /** The remote node namespace, router for the remote pods. */
  public String remoteNodeNs() {
    return remoteNode;
  }

  /** Every namespace of this lab, node first. */
  public ImmutableList<String> namespaces() {
    return namespaces;
  }

  /** The pod named {@code name}. */
  public Pod pod(String name) {
    Pod pod = pods.get(name);
    checkArgument(pod != null, "no pod %s in this lab", name);
    return pod;
  }

  /** All pods, local ones first, in the order they were added. */
  public ImmutableList<Pod> pods() {
    return pods.values().asList();
  }

  /** The node's address of {@code family} ({@link #NODE_IP} or {@link #NODE_IP6}). */
  public static IpAddress nodeIp(IpFamily family) {
    return family == IpFamily.V4 ? NODE_IP : NODE_IP6;
  }

  /**
   * The {@code index}-th external client address (0 is the outside namespace's default source):
   * {@code 203.0.113.1x} or {@code 2001:db8:1::1x}.
   */
  public static IpAddress outsideClientIp(IpFamily family, int index) {
    checkArgument(index >= 0 && index < OUTSIDE_CLIENTS, "no outside client %s", index);
    return IpAddress.parse(
        family == IpFamily.V4 ? "203.0.113." + (10 + index) : "2001:db8:1::" + (10 + index));
  }

  // ---------------------------------------------------------------- commands

  /** A runner whose commands run inside the node namespace: hand it to a backend. */
  public CommandRunner nodeRunner() {
    return runnerIn(node);
  }

  /** A runner whose commands run inside {@code ns}, which must belong to this lab. */
  public CommandRunner runnerIn(String ns) {
    checkOwned(ns);
    return CommandRunner.inNetns(runner, ns);
  }

  /** Runs {@code argv} inside lab namespace {@code ns}. */
  public CommandResult exec(String ns, String... argv) throws CommandException {
    return runnerIn(ns).run(Command.of(argv));
  }

  private void checkOwned(String ns) {
    checkState(!closed.get(), "lab %s is closed", prefix);
    checkArgument(namespaces.contains(ns), "%s is not a namespace of lab %s", ns, prefix);
  }

  private CommandResult run(Command command) throws CommandException {
    return runner.run(command);
  }

  // ---------------------------------------------------------------- servers and clients

  /** Makes {@code pod} answer {@code NAME SOURCE-IP} on {@code port} (both families). */
  public void serve(Pod pod, Protocol protocol, int port) {
    serve(pod.netns(), protocol, port);
  }

  /**
   * Serves from any lab namespace (e.g. the node, as a host-network endpoint). UDP answers leave
   * from the route's source address, so UDP clients of a namespace with several addresses must
   * ask the route's one.
   */
  public void serve(String ns, Protocol protocol, int port) {
    expectOk(agent(ns).call("serve " + socketProtocol(protocol) + " " + checkPort(port)));
  }

  /** Stops serving; new requests to the port are then refused by the pod's kernel. */
  public void stopServing(Pod pod, Protocol protocol, int port) {
    expectOk(agent(pod.netns()).call("unserve " + socketProtocol(protocol) + " " + port));
  }

  /** One TCP request from {@code ns}, with the kernel's choice of source address. */
  public Reply tcpRequest(String ns, IpAddress dst, int port, Duration timeout) {
    return tcpRequests(ns, null, dst, port, 1, timeout).get(0);
  }

  /** One TCP request from {@code ns}, bound to source address {@code src} (null: any). */
  public Reply tcpRequest(String ns, IpAddress src, IpAddress dst, int port, Duration timeout) {
    return tcpRequests(ns, src, dst, port, 1, timeout).get(0);
  }

  /** {@code count} TCP connections in a row, each a fresh source port; one agent round trip. */
  public List<Reply> tcpRequests(
      String ns, IpAddress src, IpAddress dst, int port, int count, Duration timeout) {
    return requests("tcp", ns, src, 0, dst, port, count, timeout);
  }

  /** One UDP datagram from {@code ns} and its answer; ICMP port unreachable is REFUSED. */
  public Reply udpRequest(String ns, IpAddress dst, int port, Duration timeout) {
    return udpRequests(ns, null, 0, dst, port, 1, timeout).get(0);
  }

  /** One UDP request from source {@code src} (null: any) and {@code srcPort} (0: any). */
  public Reply udpRequest(
      String ns, IpAddress src, int srcPort, IpAddress dst, int port, Duration timeout) {
    return udpRequests(ns, src, srcPort, dst, port, 1, timeout).get(0);
  }

  /**
   * {@code count} UDP requests in a row; with a fixed {@code srcPort} they are one conntrack
   * flow, with 0 each gets a fresh port.
   */
  public List<Reply> udpRequests(
      String ns,
      IpAddress src,
      int srcPort,
      IpAddress dst,
      int port,
      int count,
      Duration timeout) {
    return requests("udp", ns, src, srcPort, dst, port, count, timeout);
  }

  private List<Reply> requests(
      String protocol,
      String ns,
      IpAddress src,
      int srcPort,
      IpAddress dst,
      int port,
      int count,
      Duration timeout) {
    checkArgument(count > 0, "count must be positive");
    checkArgument(srcPort >= 0 && srcPort <= 65535, "bad source port %s", srcPort);
    checkArgument(
        src == null || src.family() == dst.family(), "source %s and %s differ in family", src, dst);
    String line =
        String.join(
            " ",
            protocol,
            src == null ? "-" : src.toString(),
            String.valueOf(srcPort),
            dst.toString(),
            String.valueOf(checkPort(port)),
            String.valueOf(Math.max(1, timeout.toMillis())),
            String.valueOf(count));
    String answer = agent(ns).call(line);
    checkState(!answer.startsWith("err "), "agent in %s: %s", ns, answer);
    List<Reply> replies = new ArrayList<>();
    for (String encoded : answer.split("\t")) {
      replies.add(Reply.decode(encoded));
    }
    checkState(replies.size() == count, "agent in %s answered %s", ns, answer);
    return replies;
  }

  private static String socketProtocol(Protocol protocol) {
    checkArgument(
        protocol == Protocol.TCP || protocol == Protocol.UDP,
        "the lab serves TCP and UDP only (this kernel has no SCTP sockets): %s",
        protocol);
    return protocol == Protocol.TCP ? "tcp" : "udp";
  }

  private static int checkPort(int port) {
    checkArgument(port > 0 && port <= 65535, "bad port %s", port);
    return port;
  }

  private static void expectOk(String answer) {
    checkState(answer.equals("ok"), "lab agent: %s", answer);
  }

  private LabHost.Agent agent(String ns) {
    checkOwned(ns);
    return agents.computeIfAbsent(ns, n -> host.startAgent(n, agentName(n)));
  }

  private String agentName(String ns) {
    if (ns.equals(node)) {
      return "node";
    }
    if (ns.equals(outside)) {
      return "outside";
    }
    if (ns.equals(remoteNode)) {
      return "remote-node";
    }
    return ns.substring((prefix + "pod-").length());
  }

  // ---------------------------------------------------------------- teardown

  /**
   * Stops every agent, kills any other process left in the lab's namespaces, and deletes them
   * all. Idempotent; also run by a shutdown hook for labs still open when the JVM exits.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      // Agents keep no state worth a graceful exit.
      agents.values().forEach(LabHost.Agent::close);
      agents.clear();
      deleteNamespaces(host, namespaces);
    } finally {
      executor.shutdownNow();
      OPEN.remove(this);
    }
  }

  /** Whether the lab is on this JVM's machine (not, e.g., in a VM's guest). */
  public boolean isOnThisMachine() {
    return host.isLocal();
  }

  /** Whether {@link #close()} has run. */
  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Deletes {@code kpj-} namespaces left by JVMs that no longer run (their pid is in the name),
   * killing whatever still runs in them. Labs of live JVMs, including parallel runs, are kept.
   *
   * @return the names deleted
   */
  public static List<String> cleanupLeftovers() {
    LabHost local = LabHost.local();
    List<String> stale = new ArrayList<>();
    for (String ns : listNamespaces(local.runner())) {
      Matcher m = OWNED_NAME.matcher(ns);
      if (m.matches()) {
        long pid = Long.parseLong(m.group(1));
        boolean leftover =
            pid == ProcessHandle.current().pid()
                ? OPEN.stream().noneMatch(lab -> ns.startsWith(lab.prefix))
                : ProcessHandle.of(pid).isEmpty();
        if (leftover) {
          stale.add(ns);
        }
      }
    }
    if (!stale.isEmpty()) {
      deleteNamespaces(local, stale);
    }
    return stale;
  }

  /** The names {@code ip netns list} shows. */
  public static List<String> listNamespaces() {
    return listNamespaces(LabHost.local().runner());
  }

  private static List<String> listNamespaces(CommandRunner runner) {
    try {
      String out = runner.run(Command.of("ip", "netns", "list")).stdout();
      List<String> names = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          names.add(line.trim().split("\\s+")[0]);
        }
      }
      return names;
    } catch (CommandException e) {
      throw new IllegalStateException("cannot list network namespaces", e);
    }
  }

  private static void deleteNamespaces(LabHost host, List<String> names) {
    CommandRunner runner = host.runner();
    // A namespace lives on while a process runs in it: kill stragglers before deleting.
    for (String ns : names) {
      try {
        String pids = runner.run(Command.of("ip", "netns", "pids", ns)).stdout();
        List<Long> found = new ArrayList<>();
        for (String pid : pids.split("\\s+")) {
          if (!pid.isBlank()) {
            found.add(Long.parseLong(pid));
          }
        }
        host.kill(found);
      } catch (CommandException e) {
        // Already gone, or never created: the delete below reports real problems.
      }
    }
    StringBuilder script = new StringBuilder();
    names.forEach(ns -> script.append("netns delete ").append(ns).append('\n'));
    try {
      runner.run(Command.of(List.of("ip", "-force", "-batch", "-"), bytes(script)));
    } catch (CommandException e) {
      List<String> left = new ArrayList<>(listNamespaces(runner));
      left.retainAll(names);
      checkState(left.isEmpty(), "could not delete namespaces %s: %s", left, e.getMessage());
    }
  }

  private static void installShutdownHook() {
    if (HOOK_INSTALLED.compareAndSet(false, true)) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> List.copyOf(OPEN).forEach(NetnsLab::close), "netns-lab-cleanup"));
    }
  }

  private static byte[] bytes(CharSequence text) {
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    Map<String, String> shown = new LinkedHashMap<>();
    pods.values().forEach(p -> shown.put(p.name(), p.ipv4() + (p.local() ? "" : " (remote)")));
    return "NetnsLab[" + prefix + ", pods " + shown + "]";
  }
}
