package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.backend.kit.KernelException;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real kernel: runs the tools through the {@link CommandRunner} (argument vectors, payload on
 * stdin) in the order {@code ipset -exist restore}, {@code ip -batch -}, {@code ipvsadm -R}, {@code
 * sysctl -e -w}, {@code iptables-restore --noflush} per family. Each tool run is all or nothing
 * only as far as the tool is (ipvsadm and ip stop at the first failing line); after a failure the
 * backend forgets, and the next, full sync reads the kernel ({@code ipvsadm -Sn}, {@code ipset
 * save}, {@code ip -o addr show dev kube-ipvs0}, {@code iptables -S}) and repairs the difference.
 */
public final class RealIpvsKernel implements IpvsKernel {
  private static final Logger log = LoggerFactory.getLogger(RealIpvsKernel.class);
  private static final Duration APPLY_TIMEOUT = Duration.ofMinutes(10);

  private final CommandRunner runner;
  private final IpvsRenderer renderer = new IpvsRenderer();

  public RealIpvsKernel(CommandRunner runner) {
    this.runner = Objects.requireNonNull(runner);
  }

  @Override
  public long apply(Map<IpFamily, IpvsTransaction> byFamily) throws KernelException {
    List<IpvsTransaction> transactions = List.copyOf(byFamily.values());
    long bytes = 0;
    bytes += run(IpvsRenderer.IPSET, renderer.ipsets(transactions));
    bytes += run(IpvsRenderer.IP, renderer.addresses(transactions));
    bytes += run(IpvsRenderer.IPVSADM, renderer.ipvs(transactions));
    List<String> sysctls = renderer.sysctls(transactions);
    if (!sysctls.isEmpty()) {
      List<String> argv = new ArrayList<>(IpvsRenderer.SYSCTL);
      argv.addAll(sysctls);
      try {
        runner.run(Command.of(argv, null));
      } catch (CommandException e) {
        throw new KernelException("sysctl failed: " + e.getMessage(), e);
      }
    }
    for (IpvsTransaction t : transactions) {
      bytes += run(IpvsRenderer.iptablesRestore(t.family()), renderer.glue(t));
    }
    return bytes;
  }

  private long run(List<String> argv, String payload) throws KernelException {
    if (payload.isEmpty()) {
      return 0;
    }
    byte[] input = payload.getBytes(StandardCharsets.UTF_8);
    try {
      runner.run(Command.of(argv, input).withTimeout(APPLY_TIMEOUT));
    } catch (CommandException e) {
      throw new KernelException(String.join(" ", argv) + " failed: " + e.getMessage(), e);
    }
    return input.length;
  }

  private String output(String... argv) throws KernelException {
    try {
      return runner.run(Command.of(argv)).stdout();
    } catch (CommandException e) {
      throw new KernelException(String.join(" ", argv) + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public IpvsExisting read(IpFamily family) throws KernelException {
    Map<VirtualServer, ServiceConfig> services = new LinkedHashMap<>();
    Map<RealServer, Integer> servers = new LinkedHashMap<>();
    parseIpvsSave(output("ipvsadm", "-Sn"), family, services, servers);
    ImmutableSet.Builder<String> sets = ImmutableSet.builder();
    ImmutableSet.Builder<IpsetEntry> members = ImmutableSet.builder();
    parseIpsetSave(output("ipset", "save"), family, sets, members);
    boolean device = true;
    String addresses = "";
    try {
      addresses =
          runner
              .run(Command.of("ip", "-o", "addr", "show", "dev", IpvsNames.DUMMY_DEVICE))
              .stdout();
    } catch (CommandException e) {
      if (!e.stderr().contains("does not exist")) {
        throw new KernelException("ip addr show failed: " + e.getMessage(), e);
      }
      device = false;
    }
    return new IpvsExisting(
        family,
        sets.build(),
        members.build(),
        device,
        parseAddresses(addresses, family),
        ImmutableMap.copyOf(services),
        ImmutableMap.copyOf(servers),
        jumps(family));
  }

  /** Which of our jumps the built-in chains hold, from {@code iptables -t T -S CHAIN}. */
  private ImmutableSet<GlueJump> jumps(IpFamily family) throws KernelException {
    Map<String, Set<String>> listings = new HashMap<>();
    ImmutableSet.Builder<GlueJump> present = ImmutableSet.builder();
    for (GlueJump j : IpvsGlue.jumps()) {
      String where = j.table() + " " + j.chain();
      if (!listings.containsKey(where)) {
        String listing = output(IpvsNames.iptables(family), "-w", "-t", j.table(), "-S", j.chain());
        listings.put(where, Set.copyOf(listing.lines().map(String::strip).toList()));
      }
      if (listings.get(where).contains("-A " + j.chain() + " " + IpvsRenderer.join(j.args()))) {
        present.add(j);
      }
    }
    return present.build();
  }

  /**
   * Parses {@code ipvsadm -Sn}: {@code -A -t VIP:port -s rr [-p T]} and {@code -a ... -r RIP:port
   * -m -w W}.
   */
  static void parseIpvsSave(
      String text,
      IpFamily family,
      Map<VirtualServer, ServiceConfig> services,
      Map<RealServer, Integer> servers) {
    for (String line : text.lines().map(String::strip).toList()) {
      List<String> t = List.of(line.split("\\s+"));
      if (t.size() < 3 || !(t.get(0).equals("-A") || t.get(0).equals("-a"))) {
        continue;
      }
      Protocol protocol =
          switch (t.get(1)) {
            case "-t", "--tcp-service" -> Protocol.TCP;
            case "-u", "--udp-service" -> Protocol.UDP;
            case "--sctp-service" -> Protocol.SCTP;
            default -> null; // fwmark services are not ours
          };
      if (protocol == null) {
        continue;
      }
      VirtualServer vs = virtualServer(t.get(2), protocol);
      if (vs.address().family() != family) {
        continue;
      }
      String scheduler = option(t, "-s", "rr");
      int persistence = Integer.parseInt(option(t, "-p", "0"));
      if (t.get(0).equals("-A")) {
        services.put(vs, new ServiceConfig(scheduler, persistence, option(t, "-b", "")));
      } else {
        VirtualServer dest = virtualServer(option(t, "-r", null), protocol);
        servers.put(
            new RealServer(vs, dest.address(), dest.port()),
            Integer.parseInt(option(t, "-w", "1")));
      }
    }
  }

  private static String option(List<String> tokens, String flag, String otherwise) {
    int i = tokens.indexOf(flag);
    return i >= 0 && i + 1 < tokens.size() ? tokens.get(i + 1) : otherwise;
  }

  /** {@code 10.0.0.1:80} or {@code [fd00::1]:80}. */
  private static VirtualServer virtualServer(String addressPort, Protocol protocol) {
    int colon = addressPort.lastIndexOf(':');
    String host = addressPort.substring(0, colon);
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    return VirtualServer.of(
        IpAddress.parse(host), protocol, Integer.parseInt(addressPort.substring(colon + 1)));
  }

  /** Parses {@code ipset save}, keeping our sets of {@code family} and their members. */
  static void parseIpsetSave(
      String text,
      IpFamily family,
      ImmutableSet.Builder<String> sets,
      ImmutableSet.Builder<IpsetEntry> members) {
    Set<String> ours = new HashSet<>();
    for (IpsetDef def : IpvsNames.sets(family)) {
      ours.add(def.name());
    }
    for (String line : text.lines().map(String::strip).toList()) {
      String[] t = line.split("\\s+");
      if (t.length >= 3 && ours.contains(t[1])) {
        if (t[0].equals("create")) {
          sets.add(t[1]);
        } else if (t[0].equals("add")) {
          members.add(new IpsetEntry(t[1], t[2]));
        }
      }
    }
  }

  /** Parses {@code ip -o addr show dev kube-ipvs0}: the {@code inet}/{@code inet6} addresses. */
  static ImmutableSet<IpAddress> parseAddresses(String text, IpFamily family) {
    ImmutableSet.Builder<IpAddress> out = ImmutableSet.builder();
    String keyword = family == IpFamily.V4 ? "inet" : "inet6";
    for (String line : text.lines().toList()) {
      String[] t = line.strip().split("\\s+");
      for (int i = 0; i + 1 < t.length; i++) {
        if (t[i].equals(keyword)) {
          out.add(IpAddress.parse(t[i + 1].split("/")[0]));
        }
      }
    }
    return out.build();
  }

  /**
   * Removes everything of the mode, as upstream does, going on past what is already gone: the jumps
   * and glue chains, every IPVS virtual service ({@code ipvsadm -C}), the dummy device, then the
   * ipsets (only once no rule refers to them). What exists is listed first ({@code iptables-save},
   * {@code ipset list -n}) and removed in one restore per tool, as every command costs (on a
   * node, and far more under emulation); if a listing or a restore fails, each object is removed
   * by its own command instead.
   */
  @Override
  public void cleanup() throws KernelException {
    List<String> failures = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      String iptables = IpvsNames.iptables(family);
      try {
        String script = glueRemoval(runner.run(Command.of(iptables + "-save")).stdout());
        if (!script.isEmpty()) {
          runner.run(
              Command.of(
                  IpvsRenderer.iptablesRestore(family), script.getBytes(StandardCharsets.UTF_8)));
        }
      } catch (CommandException e) {
        failures.add(e.getMessage());
        removeGlueOneByOne(iptables, failures);
      }
    }
    bestEffort(List.of("ipvsadm", "-C"), failures);
    bestEffort(List.of("ip", "link", "del", IpvsNames.DUMMY_DEVICE), failures);
    try {
      String script = setRemoval(runner.run(Command.of("ipset", "list", "-n")).stdout());
      if (!script.isEmpty()) {
        runner.run(
            Command.of(List.of("ipset", "restore"), script.getBytes(StandardCharsets.UTF_8)));
      }
    } catch (CommandException e) {
      failures.add(e.getMessage());
      for (IpFamily family : IpFamily.values()) {
        for (IpsetDef def : IpvsNames.sets(family)) {
          bestEffort(List.of("ipset", "destroy", def.name()), failures);
        }
      }
    }
    log.debug("ipvs cleanup: {} steps found nothing to remove: {}", failures.size(), failures);
  }

  private void removeGlueOneByOne(String iptables, List<String> failures) {
    for (GlueJump j : IpvsGlue.jumps()) {
      List<String> argv = new ArrayList<>(List.of(iptables, "-w", "-t", j.table(), "-D", j.chain()));
      argv.addAll(j.args());
      bestEffort(argv, failures);
    }
    for (String flag : List.of("-F", "-X")) {
      for (String chain : IpvsNames.NAT_CHAINS) {
        bestEffort(List.of(iptables, "-w", "-t", "nat", flag, chain), failures);
      }
      for (String chain : IpvsNames.FILTER_CHAINS) {
        bestEffort(List.of(iptables, "-w", "-t", "filter", flag, chain), failures);
      }
    }
  }

  /**
   * The {@code iptables-restore --noflush} input that removes, from an {@code iptables-save}
   * listing, our jumps and glue chains that it holds: per table, each glue chain flushed (a
   * declaration), each jump deleted, then each chain deleted; empty when nothing is there.
   */
  static String glueRemoval(String save) {
    Map<String, List<String>> chains = new LinkedHashMap<>();
    Map<String, List<String>> jumps = new LinkedHashMap<>();
    Map<String, Set<String>> ours =
        Map.of(
            "nat", Set.copyOf(IpvsNames.NAT_CHAINS),
            "filter", Set.copyOf(IpvsNames.FILTER_CHAINS));
    Set<String> jumpLines = new HashSet<>();
    for (GlueJump j : IpvsGlue.jumps()) {
      jumpLines.add(j.table() + " -A " + j.chain() + " " + IpvsRenderer.join(j.args()));
    }
    String table = "";
    for (String line : save.lines().map(String::strip).toList()) {
      if (line.startsWith("*")) {
        table = line.substring(1);
      } else if (line.startsWith(":") && ours.containsKey(table)) {
        String chain = line.substring(1).split("\\s+")[0];
        if (ours.get(table).contains(chain)) {
          chains.computeIfAbsent(table, t -> new ArrayList<>()).add(chain);
        }
      } else if (jumpLines.contains(table + " " + line)) {
        jumps.computeIfAbsent(table, t -> new ArrayList<>()).add("-D" + line.substring(2));
      }
    }
    StringBuilder out = new StringBuilder();
    for (String t : List.of("nat", "filter")) {
      List<String> c = chains.getOrDefault(t, List.of());
      List<String> j = jumps.getOrDefault(t, List.of());
      if (c.isEmpty() && j.isEmpty()) {
        continue;
      }
      out.append('*').append(t).append('\n');
      c.forEach(chain -> out.append(':').append(chain).append(" - [0:0]\n"));
      j.forEach(jump -> out.append(jump).append('\n'));
      c.forEach(chain -> out.append("-X ").append(chain).append('\n'));
      out.append("COMMIT\n");
    }
    return out.toString();
  }

  /** The {@code ipset restore} input that destroys those of our sets {@code ipset list -n} names. */
  static String setRemoval(String names) {
    Set<String> present = Set.copyOf(names.lines().map(String::strip).toList());
    StringBuilder out = new StringBuilder();
    for (IpFamily family : IpFamily.values()) {
      for (IpsetDef def : IpvsNames.sets(family)) {
        if (present.contains(def.name())) {
          out.append("destroy ").append(def.name()).append('\n');
        }
      }
    }
    return out.toString();
  }

  private void bestEffort(List<String> argv, List<String> failures) {
    try {
      runner.run(Command.of(argv, null));
    } catch (CommandException e) {
      failures.add(e.getMessage());
    }
  }

  /** Active plus inactive connections from {@code ipvsadm -Ln}. */
  @Override
  public Map<RealServer, Integer> connections(IpFamily family, Collection<RealServer> servers) {
    String listing;
    try {
      listing = output("ipvsadm", "-Ln");
    } catch (KernelException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    Map<RealServer, Integer> all = parseConnections(listing);
    Map<RealServer, Integer> out = new HashMap<>();
    for (RealServer rs : servers) {
      Integer count = all.get(rs);
      if (count != null) {
        out.put(rs, count);
      }
    }
    return out;
  }

  /**
   * Parses {@code ipvsadm -Ln}: service lines ({@code TCP 10.96.0.10:80 rr}) each followed by its
   * real servers ({@code -> 10.244.1.2:8080 Masq 0 3 1}: weight, active, inactive).
   */
  static Map<RealServer, Integer> parseConnections(String text) {
    Map<RealServer, Integer> out = new HashMap<>();
    VirtualServer current = null;
    for (String line : text.lines().toList()) {
      String[] t = line.strip().split("\\s+");
      if (t.length >= 2 && List.of("TCP", "UDP", "SCTP").contains(t[0])) {
        current = virtualServer(t[1], Protocol.valueOf(t[0]));
      } else if (current != null
          && t.length >= 6
          && t[0].equals("->")
          && !t[1].startsWith("Remote")) {
        VirtualServer dest = virtualServer(t[1], current.protocol());
        out.put(
            new RealServer(current, dest.address(), dest.port()),
            Integer.parseInt(t[4]) + Integer.parseInt(t[5]));
      } else if (t.length >= 1 && t[0].equals("FWM")) {
        current = null;
      }
    }
    return out;
  }
}
