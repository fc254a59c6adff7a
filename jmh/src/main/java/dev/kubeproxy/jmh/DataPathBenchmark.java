package dev.kubeproxy.jmh;

import com.google.common.base.Preconditions;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.nftables.NftablesBackend;
import dev.kubeproxy.nftables.RealNftKernel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The data-path benchmark (issue 13): new TCP connections per second from a client namespace
 * through a node namespace holding the rules to a server namespace, for a service in the first
 * and in the last endpoint-count group, an address that is no service, an eTP=Cluster ExternalIP,
 * a NodePort on the node's own address (first and last group), and a ClientIP-affinity service
 * whose client is remembered (last group), with our ruleset
 * ({@link NftablesBackend}), with an upstream-style ruleset ({@link UpstreamStyleRuleset}) for
 * the same services, and with no ruleset at all (no DNAT), all in one run. One C process
 * connects and resets in a loop, so the cost measured is the kernel's, not process start.
 * Each ruleset has its own lane of three namespaces, so all cases run interleaved in rounds
 * under the same machine load; each run is bounded in time and count; every namespace is
 * always deleted, and nothing touches the machine's own namespace.
 */
final class DataPathBenchmark {
  private static final int SERVER_PORT = 8080;
  private static final String CLIENT = "10.64.0.2";
  /** The node's address on the client's link: where the client reaches NodePorts. */
  private static final String NODE = "10.64.0.1";
  /** Our ruleset's client set of ClientIP affinity in the service-ips space (LAYOUT.md). */
  private static final String OURS_AFFINITY_SET = "service-ips-affinity";
  private static final String NON_SERVICE = "10.65.255.254";
  private static final String BASELINE = "no rules (baseline)";
  private static final String UPSTREAM = "upstream-style";
  private static final int USER_HZ = 100;
  private static final long PERF_PERIOD_NANOS = 100_000;
  /** A remembered client in a listing: the client address, then ours' slot number if any. */
  private static final Pattern ELEMENT = Pattern.compile(
      "(\\d+\\.\\d+\\.\\d+\\.\\d+)(?: \\. [\\d.]+ \\. \\d+ \\. (\\d+))? (?:timeout|expires)");

  /** What to generate and how long to measure. */
  record Options(int services, int groups, int millis, int rounds, boolean perf) {
    Options {
      Preconditions.checkArgument(services >= groups && groups >= 1, "%s services, %s groups",
          services, groups);
      Preconditions.checkArgument(millis > 0 && millis <= 10_000, "millis %s", millis);
      Preconditions.checkArgument(rounds > 0 && rounds <= 20, "rounds %s", rounds);
    }
  }

  /**
   * One destination through one lane; {@code affinitySets} are the lane's sets that remember the
   * client when the destination has ClientIP affinity (else empty): each round starts with them
   * flushed, so each round's first connection picks an endpoint anew and the rest reuse it.
   */
  private record Case(Lane lane, String destination, String address, int port,
      List<String> affinitySets) {
    Case(Lane lane, String destination, String address, int port) {
      this(lane, destination, address, port, List.of());
    }
  }

  /** The measured rounds of one case. */
  private record Result(Case c, List<Double> rates, List<Double> cpuMicros,
      List<Double> nftNanos, long[] failed, List<String> positions) {
    double medianRate() {
      return median(rates);
    }

    double bestRate() {
      return rates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    double medianNft() {
      return nftNanos.isEmpty() ? Double.NaN : median(nftNanos);
    }

    double medianCpu() {
      return median(cpuMicros);
    }
  }

  private final CommandRunner host;
  private final Options options;

  DataPathBenchmark(CommandRunner host, Options options) {
    this.host = host;
    this.options = options;
  }

  /** One client -> node -> server chain of namespaces; the node holds one ruleset. */
  private record Lane(String ruleset, BenchNamespace client, BenchNamespace node,
      BenchNamespace server) {}

  /** Runs every case and returns the report as markdown. */
  String run() throws Exception {
    Path dir = Files.createTempDirectory("kpj-datapath");
    List<BenchNamespace> namespaces = new ArrayList<>();
    List<Process> servers = new ArrayList<>();
    try {
      Path conn = compile(dir);
      List<Lane> lanes = new ArrayList<>();
      for (String ruleset : List.of(BASELINE, "ours", UPSTREAM)) {
        Lane lane = new Lane(ruleset, namespace(namespaces), namespace(namespaces),
            namespace(namespaces));
        wire(lane.client, lane.node, lane.server);
        servers.add(startServer(lane.server, conn));
        lanes.add(lane);
      }
      Workload workload = Workload.groups(options.services, options.groups);
      ForwardingTable table = LoadedModel.load(workload).table();
      String first = Workload.groupsClusterIp(0);
      String last = Workload.groupsClusterIp(options.groups - 1);

      // Without rules a ClusterIP is unreachable: what connects later was DNATed.
      long[] unrouted = connect(lanes.get(0).client, conn, first, 80, 200);
      Preconditions.checkState(unrouted[0] == 0, "ClusterIP reachable without rules");

      long start = System.nanoTime();
      new NftablesBackend(new RealNftKernel(lanes.get(1).node.runner()))
          .sync(SyncRequest.full(TableChange.initial(table)));
      double oursLoadMs = (System.nanoTime() - start) / 1e6;
      log("datapath: our ruleset loaded in %.0f ms", oursLoadMs);
      byte[] upstream = UpstreamStyleRuleset.text(table).getBytes(StandardCharsets.UTF_8);
      start = System.nanoTime();
      lanes.get(2).node.runner().run(Command.of("nft", "-f", "-").withStdin(upstream)
          .withTimeout(Duration.ofMinutes(10)));
      double upstreamLoadMs = (System.nanoTime() - start) / 1e6;
      log("datapath: upstream-style ruleset loaded in %.0f ms", upstreamLoadMs);

      List<Case> cases = new ArrayList<>();
      cases.add(new Case(lanes.get(0), "the same address, no DNAT", NON_SERVICE, SERVER_PORT));
      for (Lane lane : lanes.subList(1, 3)) {
        cases.add(new Case(lane, "service in the first group (1 endpoint)", first, 80));
        cases.add(new Case(lane, "service in the last group (" + options.groups + " endpoints)",
            last, 80));
        cases.add(new Case(lane, "address that is no service", NON_SERVICE, SERVER_PORT));
        cases.add(new Case(lane, "ExternalIP, eTP=Cluster (masqueraded), first group",
            Workload.groupsExternalIp(0), 80));
      }
      if (options.services >= 3 * options.groups) {
        String affinity = Workload.groupsAffinityClusterIp(options.groups, options.groups - 1);
        List<String> upstreamSets =
            UpstreamStyleRuleset.affinitySets(table, IpAddress.parse(affinity));
        for (Lane lane : lanes.subList(1, 3)) {
          cases.add(new Case(lane, "NodePort on the node's address, eTP=Cluster (masqueraded),"
              + " first group", NODE, Workload.groupsNodePort(0)));
          cases.add(new Case(lane, "NodePort on the node's address, eTP=Cluster (masqueraded),"
              + " last group", NODE, Workload.groupsNodePort(options.groups - 1)));
          cases.add(new Case(lane, "ClientIP affinity, remembered client, last group", affinity,
              80, lane.ruleset.equals(UPSTREAM) ? upstreamSets : List.of(OURS_AFFINITY_SET)));
        }
      } else {
        log("datapath: fewer than 3 x %d services: no NodePort and affinity cases",
            options.groups);
      }
      Map<Case, Result> results = new LinkedHashMap<>();
      measure(conn, results, cases);
      return report(results, oursLoadMs, upstreamLoadMs);
    } finally {
      for (Process server : servers) {
        server.destroy();
        server.waitFor(5, TimeUnit.SECONDS);
      }
      for (BenchNamespace namespace : namespaces) {
        namespace.close();
      }
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  private BenchNamespace namespace(List<BenchNamespace> created) throws CommandException {
    BenchNamespace namespace = BenchNamespace.create(host);
    created.add(namespace);
    return namespace;
  }

  /** Runs every case once per round, all lanes interleaved, {@code rounds} rounds. */
  private void measure(Path conn, Map<Case, Result> results, List<Case> cases)
      throws Exception {
    for (Case c : cases) {
      connect(c.lane.client, conn, c.address, c.port, 100); // warm the path
      results.put(c, new Result(c, new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
          new long[1], new ArrayList<>()));
    }
    for (int round = 0; round < options.rounds; round++) {
      for (Case c : cases) {
        forgetClients(c);
        long before = busyJiffies();
        Path perfData = conn.resolveSibling("perf.data");
        long[] r = options.perf
            ? perfConnect(c.lane.client, conn, c.address, c.port, options.millis, perfData)
            : connect(c.lane.client, conn, c.address, c.port, options.millis);
        long after = busyJiffies();
        Preconditions.checkState(r[0] > 0, "no connection succeeded to %s", c);
        double rate = r[0] / (r[2] / 1e9);
        Result result = results.get(c);
        result.rates.add(rate);
        result.cpuMicros.add((after - before) * 1e6 / USER_HZ / r[0]);
        result.failed[0] += r[1];
        if (options.perf) {
          result.nftNanos.add(nftSamples(perfData) * (double) PERF_PERIOD_NANOS / r[0]);
          Files.deleteIfExists(perfData);
        }
        if (!c.affinitySets.isEmpty()) {
          result.positions.add(rememberedPosition(c));
        }
        log("datapath: %s, %s: %.0f conn/s, %d failed", c.lane.ruleset, c.destination, rate,
            r[1]);
      }
    }
  }

  /** Flushes the sets where {@code c}'s lane remembers ClientIP-affinity clients, if any. */
  private static void forgetClients(Case c) throws CommandException {
    if (c.affinitySets.isEmpty()) {
      return;
    }
    StringBuilder script = new StringBuilder();
    for (String set : c.affinitySets) {
      script.append("flush set ip ").append(UpstreamStyleRuleset.TABLE).append(' ').append(set)
          .append('\n');
    }
    c.lane.node.runner().run(Command.of("nft", "-f", "-")
        .withStdin(script.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Where the client of affinity case {@code c} is remembered, i.e. how many slots (ours) or
   * endpoint rules (upstream-style) its connections walk past before their own: ours, the slot
   * in the element {@code client . frontend . port . (proto << 16 | slot)} of our client set;
   * upstream-style, the index of the endpoint set that holds the client.
   */
  private static String rememberedPosition(Case c) throws CommandException {
    List<String> found = new ArrayList<>();
    for (int i = 0; i < c.affinitySets.size(); i++) {
      String listing = c.lane.node.runner().run(Command.of("nft", "list", "set", "ip",
          UpstreamStyleRuleset.TABLE, c.affinitySets.get(i))).stdout();
      Matcher m = ELEMENT.matcher(listing);
      while (m.find()) {
        if (!m.group(1).equals(CLIENT)) {
          continue;
        }
        found.add(m.group(2) == null ? Integer.toString(i)
            : Long.toString(Long.parseLong(m.group(2)) & 0xffff));
      }
    }
    return found.isEmpty() ? "?" : String.join("+", found);
  }

  /** {@code conn client}: connections made, failed, and elapsed nanoseconds. */
  private static long[] connect(BenchNamespace client, Path conn, String address, int port,
      int millis) throws CommandException {
    String out = client.runner().run(Command.of(conn.toString(), "client", address,
        Integer.toString(port), Integer.toString(millis))
        .withTimeout(Duration.ofMillis(millis + 30_000))).stdout().strip();
    return Arrays.stream(out.split(" ")).mapToLong(Long::parseLong).toArray();
  }

  /**
   * {@link #connect} under {@code perf record -a -g}, sampling every CPU's clock every {@link
   * #PERF_PERIOD_NANOS}, into {@code data}.
   */
  private long[] perfConnect(BenchNamespace client, Path conn, String address, int port,
      int millis, Path data) throws CommandException {
    String out = host.run(Command.of("perf", "record", "-q", "-a", "-g", "-e", "cpu-clock:k", "-c",
        Long.toString(PERF_PERIOD_NANOS), "-o", data.toString(), "--", "ip", "netns", "exec",
        client.name(), conn.toString(), "client", address, Integer.toString(port),
        Integer.toString(millis)).withTimeout(Duration.ofMillis(millis + 60_000))).stdout()
        .strip();
    String last = out.lines().reduce((x, y) -> y).orElse("");
    return Arrays.stream(last.split(" ")).mapToLong(Long::parseLong).toArray();
  }

  /** How many samples of {@code data} have {@code nft_do_chain} on their kernel stack. */
  private long nftSamples(Path data) throws CommandException {
    String script = host.run(Command.of("perf", "script", "-i", data.toString(), "-F", "ip,sym")
        .withTimeout(Duration.ofMinutes(2))).stdout();
    long samples = 0;
    boolean inSample = false;
    for (String line : script.split("\n")) {
      if (line.isBlank()) {
        inSample = false;
      } else if (!inSample && line.contains("nft_do_chain")) {
        samples++;
        inSample = true;
      }
    }
    return samples;
  }

  /** Busy jiffies (USER_HZ) of the whole machine: every CPU, all but idle and iowait. */
  private static long busyJiffies() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i < Math.min(f.length, 9); i++) {
      if (i != 4 && i != 5) { // idle, iowait
        busy += Long.parseLong(f[i]);
      }
    }
    return busy;
  }

  private Path compile(Path dir) throws IOException, CommandException {
    Path source = dir.resolve("conn.c");
    try (InputStream in = DataPathBenchmark.class.getResourceAsStream("/datapath/conn.c")) {
      Preconditions.checkState(in != null, "conn.c missing from the jar");
      Files.write(source, in.readAllBytes());
    }
    Path binary = dir.resolve("conn");
    host.run(Command.of("gcc", "-O2", "-o", binary.toString(), source.toString()));
    return binary;
  }

  /** client c0 10.64.0.2/24 -- n0 node n1 10.255.0.1/30 -- s0 server, owning 10.65.0.0/16. */
  private void wire(BenchNamespace client, BenchNamespace node, BenchNamespace server)
      throws CommandException {
    String c = client.name();
    String n = node.name();
    String s = server.name();
    for (String ns : List.of(c, n, s)) {
      ip(ns, "link", "set", "lo", "up");
    }
    ip(c, "link", "add", "c0", "type", "veth", "peer", "name", "n0", "netns", n);
    ip(n, "link", "add", "n1", "type", "veth", "peer", "name", "s0", "netns", s);
    ip(c, "addr", "add", CLIENT + "/24", "dev", "c0");
    ip(c, "link", "set", "c0", "up");
    ip(c, "route", "add", "default", "via", "10.64.0.1");
    ip(n, "addr", "add", "10.64.0.1/24", "dev", "n0");
    ip(n, "addr", "add", "10.255.0.1/30", "dev", "n1");
    ip(n, "link", "set", "n0", "up");
    ip(n, "link", "set", "n1", "up");
    ip(n, "route", "add", "10.65.0.0/16", "via", "10.255.0.2");
    ip(s, "addr", "add", "10.255.0.2/30", "dev", "s0");
    ip(s, "link", "set", "s0", "up");
    ip(s, "route", "add", "10.64.0.0/24", "via", "10.255.0.1");
    ip(s, "route", "add", "local", "10.65.0.0/16", "dev", "lo");
    node.runner().run(Command.of("sysctl", "-qw", "net.ipv4.ip_forward=1"));
  }

  private void ip(String netns, String... args) throws CommandException {
    List<String> argv = new ArrayList<>(List.of("ip", "-n", netns));
    argv.addAll(List.of(args));
    host.run(Command.of(argv.toArray(String[]::new)));
  }

  private static Process startServer(BenchNamespace server, Path conn) throws IOException {
    Process p = new ProcessBuilder("ip", "netns", "exec", server.name(), conn.toString(),
        "server", Integer.toString(SERVER_PORT)).redirectErrorStream(true).start();
    BufferedReader reader = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = reader.readLine();
    if (!"listening".equals(line)) {
      p.destroy();
      throw new IOException("server did not start: " + line);
    }
    return p;
  }

  private String report(Map<Case, Result> results, double oursLoadMs, double upstreamLoadMs) {
    Result baseline = results.values().iterator().next();
    double baseMicros = 1e6 / baseline.medianRate();
    Map<String, Double> upstreamMicros = new LinkedHashMap<>();
    for (Result r : results.values()) {
      if (r.c.lane.ruleset.equals(UPSTREAM)) {
        upstreamMicros.put(r.c.destination, 1e6 / r.medianRate());
      }
    }
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "### Data path: %d services, %d endpoint-count"
        + " groups, %d rounds x %d ms per case (ruleset load: ours %.0f ms, upstream-style"
        + " %.0f ms)%n%n", options.services, options.groups, options.rounds, options.millis,
        oursLoadMs, upstreamLoadMs));
    out.append("| ruleset | new connection to | conn/s (median) | µs per connection |"
        + " over no-rules µs | vs upstream-style | best round conn/s"
        + " | ns in nft_do_chain per connection |"
        + " machine CPU µs per connection | failed |\n");
    out.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results.values()) {
      double micros = 1e6 / r.medianRate();
      Double up = upstreamMicros.get(r.c.destination);
      out.append(String.format(Locale.ROOT,
          "| %s | %s | %.0f | %.1f | %+.1f | %s | %.0f | %s | %.1f | %d |%n",
          r.c.lane.ruleset, r.c.destination, r.medianRate(), micros, micros - baseMicros,
          up == null ? "–" : String.format(Locale.ROOT, "%.2f", micros / up), r.bestRate(),
          Double.isNaN(r.medianNft()) ? "–" : String.format(Locale.ROOT, "%.0f", r.medianNft()),
          r.medianCpu(),
          r.failed[0]));
    }
    for (Result r : results.values()) {
      if (!r.positions.isEmpty()) {
        List<String> rounds = new ArrayList<>();
        for (int i = 0; i < r.positions.size(); i++) {
          rounds.add(r.positions.get(i) + (r.nftNanos.isEmpty() ? ""
              : String.format(Locale.ROOT, " (%.0f ns)", r.nftNanos.get(i))));
        }
        out.append(String.format(Locale.ROOT, "%n%s, %s: the client was remembered at %s,"
            + " round by round (%s, from 0; ns in nft_do_chain per connection)%n",
            r.c.lane.ruleset, r.c.destination, String.join(", ", rounds),
            r.c.lane.ruleset.equals(UPSTREAM) ? "endpoint rule" : "slot"));
      }
    }
    return out.toString();
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, format + "%n", args);
  }
}
