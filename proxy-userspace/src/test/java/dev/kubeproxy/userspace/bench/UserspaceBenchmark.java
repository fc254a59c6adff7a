package dev.kubeproxy.userspace.bench;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.userspace.ListenerAgent;
import dev.kubeproxy.userspace.UserspaceBenchAccess;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The userspace proxy against HAProxy and the kernel's DNAT, side by side in one run (issue 11,
 * item 6). Three network namespaces it creates and deletes ({@code kpjb-PID-c}, {@code -p},
 * {@code -e}: client, proxy, endpoints), linked by veth pairs created inside them, never to the
 * machine's own namespace. The endpoint namespace serves two endpoints ({@link BenchServer});
 * the proxy namespace carries each path with round robin over both: this proxy (a {@link
 * ListenerAgent} JVM listening on 10.77.0.1:9001), HAProxy ({@code mode tcp}, {@code balance
 * roundrobin}, 10.77.0.1:9002) and an nftables DNAT rule (10.77.0.1:9003, {@code numgen inc}).
 * The client namespace runs {@link BenchClient} once per measurement and path. Run as root:
 * {@code java -cp CLASSPATH dev.kubeproxy.userspace.bench.UserspaceBenchmark [SECONDS [ROUNDS]]}
 * (default 5 s, 3 rounds; medians are reported).
 */
public final class UserspaceBenchmark {
  private static final String PROXY_IP = "10.77.0.1";
  private static final String EP_IP = "10.77.1.2";
  private static final Map<String, Integer> PATHS = new LinkedHashMap<>();

  static {
    PATHS.put("userspace (this proxy)", 9001);
    PATHS.put("HAProxy " + haproxyVersion(), 9002);
    PATHS.put("kernel DNAT (nftables)", 9003);
  }

  private final String client;
  private final String proxy;
  private final String ep;
  private final List<Process> children = new ArrayList<>();
  private final String classpath = System.getProperty("java.class.path");
  private final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  private UserspaceBenchmark(String prefix) {
    this.client = prefix + "-c";
    this.proxy = prefix + "-p";
    this.ep = prefix + "-e";
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    UserspaceBenchmark bench = new UserspaceBenchmark("kpjb-" + ProcessHandle.current().pid());
    Runtime.getRuntime().addShutdownHook(new Thread(bench::tearDown));
    try {
      bench.setUp();
      System.out.println(bench.measure(seconds, rounds));
    } finally {
      bench.tearDown();
    }
  }

  private void setUp() throws Exception {
    for (String ns : List.of(client, proxy, ep)) {
      run("ip", "netns", "add", ns);
      in(ns, "ip", "link", "set", "lo", "up");
    }
    in(proxy, "ip", "link", "add", "p0", "type", "veth", "peer", "name", "c0", "netns", client);
    in(proxy, "ip", "link", "add", "p1", "type", "veth", "peer", "name", "e0", "netns", ep);
    in(proxy, "ip", "addr", "add", PROXY_IP + "/24", "dev", "p0");
    in(proxy, "ip", "addr", "add", "10.77.1.1/24", "dev", "p1");
    in(proxy, "ip", "link", "set", "p0", "up");
    in(proxy, "ip", "link", "set", "p1", "up");
    in(client, "ip", "addr", "add", "10.77.0.2/24", "dev", "c0");
    in(client, "ip", "link", "set", "c0", "up");
    in(client, "ip", "route", "add", "default", "via", PROXY_IP);
    in(ep, "ip", "addr", "add", EP_IP + "/24", "dev", "e0");
    in(ep, "ip", "link", "set", "e0", "up");
    in(ep, "ip", "route", "add", "default", "via", "10.77.1.1");
    in(proxy, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    for (String ns : List.of(client, proxy, ep)) {
      in(ns, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000", "net.ipv4.tcp_tw_reuse=1",
          "net.core.somaxconn=4096");
    }
    nft("add table ip bench\n"
        + "add chain ip bench pre { type nat hook prerouting priority -100 ; }\n"
        + "add rule ip bench pre ip daddr " + PROXY_IP + " tcp dport 9003 dnat to " + EP_IP
        + " : numgen inc mod 2 map { 0 : 8001, 1 : 8002 }\n");
    awaitReady(start(ep, List.of(java, "-Xmx512m", "-cp", classpath, BenchServer.class.getName(), EP_IP, "8001", "8002")));
    Path cfg = Files.createTempFile("kpjb-haproxy-", ".cfg");
    Files.writeString(cfg, String.join("\n",
        "global", "  maxconn 8000", "  nbthread 2",
        "defaults", "  mode tcp", "  timeout connect 2s", "  timeout client 30s", "  timeout server 30s",
        "frontend fe", "  bind " + PROXY_IP + ":9002", "  default_backend be",
        "backend be", "  balance roundrobin",
        "  server s1 " + EP_IP + ":8001", "  server s2 " + EP_IP + ":8002", ""));
    start(proxy, List.of("haproxy", "-db", "-f", cfg.toString()));
    Process agent = start(proxy, List.of(java, "-Xmx512m", "-cp", classpath, ListenerAgent.class.getName()));
    awaitReady(agent);
    OutputStream toAgent = agent.getOutputStream();
    EndpointList endpoints = new EndpointList(ImmutableList.of(
        new ServiceEndpoint(IpAddress.parse(EP_IP), 8001, true, false),
        new ServiceEndpoint(IpAddress.parse(EP_IP), 8002, true, false)), EmptyVerdict.REJECT);
    toAgent.write((UserspaceBenchAccess.putLine(
        ServicePortKey.of("default", "bench", "tcp", Protocol.TCP), IpAddress.parse(PROXY_IP), 9001, endpoints,
        SessionAffinity.NONE) + "\n").getBytes(StandardCharsets.UTF_8));
    toAgent.flush();
    String answer = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8)).readLine();
    if (!"ok".equals(answer)) {
      throw new IOException("listener agent: " + answer);
    }
    Thread.sleep(1000); // HAProxy binds
  }

  /** Every measurement on every path, interleaved, {@code rounds} times; medians in a table. */
  private String measure(int seconds, int rounds) throws Exception {
    String[][] measures = {{"rate", "8"}, {"paced", "1000"}, {"bulk", "1"}, {"bulk", "64"}};
    // path -> metric -> values; metrics: conn/s, p50, p99, failures, bulk1, bulk64
    Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
    for (int round = 1; round <= rounds; round++) {
      for (String[] m : measures) {
        for (Map.Entry<String, Integer> path : PATHS.entrySet()) {
          String line = client(m[0], path.getValue(), m[1], seconds);
          System.err.println("round " + round + " " + path.getKey() + ": " + String.join(" ", m) + " -> " + line);
          Map<String, List<Double>> v = values.computeIfAbsent(path.getKey(), k -> new LinkedHashMap<>());
          switch (m[0]) {
            case "rate" -> {
              add(v, "conn/s", word(line, 1));
              add(v, "failures", word(line, 7));
            }
            case "paced" -> {
              add(v, "p50", word(line, 3));
              add(v, "p99", word(line, 5));
              add(v, "failures", word(line, 7));
            }
            default -> add(v, "bulk" + m[1], word(line, 1));
          }
        }
      }
    }
    String haproxy = List.copyOf(PATHS.keySet()).get(1);
    String dnat = List.copyOf(PATHS.keySet()).get(2);
    StringBuilder out = new StringBuilder(
        "| path | new conn/s (8 clients, closed loop) | p50 / p99 per request at 1,000 conn/s"
            + " (added over DNAT) | 1 stream MiB/s | 64 streams MiB/s | failed requests |\n"
            + "|---|---|---|---|---|---|\n");
    for (Map.Entry<String, Map<String, List<Double>>> e : values.entrySet()) {
      Map<String, List<Double>> v = e.getValue();
      Map<String, List<Double>> h = values.get(haproxy);
      Map<String, List<Double>> d = values.get(dnat);
      out.append(String.format("| %s | %.0f (%.2f× HAProxy) | %.0f / %.0f µs (%+.0f / %+.0f µs) | %.0f (%.2f×) | %.0f (%.2f×) | %.0f |%n",
          e.getKey(),
          median(v, "conn/s"), median(v, "conn/s") / median(h, "conn/s"),
          median(v, "p50"), median(v, "p99"), median(v, "p50") - median(d, "p50"), median(v, "p99") - median(d, "p99"),
          median(v, "bulk1"), median(v, "bulk1") / median(h, "bulk1"),
          median(v, "bulk64"), median(v, "bulk64") / median(h, "bulk64"),
          v.get("failures").stream().mapToDouble(Double::doubleValue).sum()));
    }
    return out.append("\nmedians of ").append(rounds).append(" interleaved rounds of ").append(seconds)
        .append(" s per measurement (after 2 s of warm-up each)\n").toString();
  }

  private static void add(Map<String, List<Double>> v, String metric, String value) {
    double d;
    try {
      d = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      d = Double.NaN;
    }
    v.computeIfAbsent(metric, k -> new ArrayList<>()).add(d);
  }

  private static double median(Map<String, List<Double>> v, String metric) {
    double[] sorted = v.get(metric).stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[sorted.length / 2];
  }

  private static String word(String line, int index) {
    String[] words = line.trim().split("\\s+");
    return index < words.length ? words[index] : "?";
  }

  private String client(String mode, int port, String n, int seconds) throws Exception {
    Process p = start(client, List.of(java, "-Xmx512m", "-cp", classpath, BenchClient.class.getName(),
        mode, PROXY_IP, Integer.toString(port), n, Integer.toString(seconds)));
    if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timeout";
    }
    children.remove(p);
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
  }

  private Process start(String ns, List<String> argv) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(argv);
    Process p = new ProcessBuilder(full).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    children.add(p);
    return p;
  }

  private static void awaitReady(Process p) throws IOException {
    String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    if (!"ready".equals(line)) {
      throw new IOException("not ready: " + line);
    }
  }

  private void nft(String script) throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "exec", proxy, "nft", "-f", "-")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    if (p.waitFor() != 0) {
      throw new IOException("nft failed");
    }
  }

  private void in(String ns, String... argv) throws Exception {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(argv));
    run(full.toArray(new String[0]));
  }

  private static void run(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectOutput(new File("/dev/null"))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", argv) + " failed");
    }
  }

  private synchronized void tearDown() {
    for (Process p : children) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    children.clear();
    for (String ns : List.of(client, proxy, ep)) {
      try {
        new ProcessBuilder("ip", "netns", "pids", ns).start().waitFor(); // nothing of ours left: killed above
        new ProcessBuilder("ip", "netns", "del", ns).redirectError(new File("/dev/null")).start().waitFor();
      } catch (IOException e) {
        // best effort
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String haproxyVersion() {
    try {
      Process p = new ProcessBuilder("haproxy", "-v").start();
      String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
      return first == null ? "" : first.replaceAll(".*version ([0-9.]+).*", "$1");
    } catch (IOException e) {
      return "(not installed)";
    }
  }
}
