package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableSortedMap;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.kit.KernelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * An in-memory IPVS node: ipsets, the dummy device and its addresses, virtual and real servers, and
 * the iptables glue. It applies the same transactions as the real kernel, all or nothing, and
 * refuses what the tools would: a duplicate virtual service or real server, a real server of a
 * missing service, an ipset member of a missing set or of the wrong shape, a duplicate or missing
 * member, an address on a missing device, a rule naming a missing set or chain. Connection counts
 * of real servers are set by tests (none by default).
 */
public final class FakeIpvsKernel implements IpvsKernel {
  private static final Pattern PORT = Pattern.compile("\\d{1,5}");

  private Node node = new Node();
  private final Map<RealServer, Integer> connections = new HashMap<>();
  private int applies;

  /** Everything the node holds; copied before each apply so that a refusal changes nothing. */
  private static final class Node {
    final Map<String, IpsetDef> sets = new TreeMap<>();
    final Map<String, TreeSet<String>> members = new TreeMap<>();
    boolean device;
    final TreeSet<IpAddress> addresses = new TreeSet<>();
    final TreeMap<VirtualServer, ServiceConfig> services = new TreeMap<>();
    final TreeMap<RealServer, Integer> servers = new TreeMap<>();

    /** Per family, per "table chain", the chain's rules. */
    final Map<IpFamily, Map<String, List<List<String>>>> chains = new HashMap<>();

    final Map<IpFamily, Set<GlueJump>> jumps = new HashMap<>();
    final Map<String, String> sysctls = new TreeMap<>();
    IpvsOp.SetTimeouts timeouts;

    Node copy() {
      Node n = new Node();
      n.sets.putAll(sets);
      members.forEach((k, v) -> n.members.put(k, new TreeSet<>(v)));
      n.device = device;
      n.addresses.addAll(addresses);
      n.services.putAll(services);
      n.servers.putAll(servers);
      chains.forEach((f, m) -> n.chains.put(f, new LinkedHashMap<>(m)));
      jumps.forEach((f, s) -> n.jumps.put(f, new LinkedHashSet<>(s)));
      n.sysctls.putAll(sysctls);
      n.timeouts = timeouts;
      return n;
    }
  }

  @Override
  public long apply(Map<IpFamily, IpvsTransaction> byFamily) throws KernelException {
    List<IpvsTransaction> transactions = List.copyOf(byFamily.values());
    Node next = node.copy();
    for (IpvsTransaction t : transactions) {
      for (IpsetOp op : t.ipsets()) {
        ipset(next, op);
      }
    }
    for (IpvsTransaction t : transactions) {
      next.device |= t.createDevice();
      for (AddressOp op : t.addresses()) {
        address(next, op);
      }
    }
    for (IpvsTransaction t : transactions) {
      for (IpvsOp op : t.ipvs()) {
        ipvs(next, op);
      }
    }
    for (IpvsTransaction t : transactions) {
      next.sysctls.putAll(t.sysctls());
    }
    for (IpvsTransaction t : transactions) {
      glue(next, t);
    }
    node = next;
    applies++;
    return new IpvsRenderer().render(transactions).getBytes(StandardCharsets.UTF_8).length;
  }

  private static void ipset(Node n, IpsetOp op) throws KernelException {
    if (op instanceof IpsetOp.Create c) {
      IpsetDef was = n.sets.get(c.set().name());
      if (was != null && (!was.type().equals(c.set().type()) || was.family() != c.set().family())) {
        throw new KernelException("ipset: set " + c.set().name() + " exists with another type");
      }
      n.sets.put(c.set().name(), c.set());
      n.members.computeIfAbsent(c.set().name(), s -> new TreeSet<>());
    } else if (op instanceof IpsetOp.Add a) {
      IpsetDef def = set(n, a.entry().set());
      checkMember(def, a.entry().member());
      if (!n.members.get(def.name()).add(a.entry().member())) {
        throw new KernelException("ipset: " + a.entry() + " is already added");
      }
    } else if (op instanceof IpsetOp.Del d) {
      if (!n.members.get(set(n, d.entry().set()).name()).remove(d.entry().member())) {
        throw new KernelException("ipset: " + d.entry() + " is not in the set");
      }
    } else if (op instanceof IpsetOp.Flush f) {
      n.members.get(set(n, f.set()).name()).clear();
    } else if (op instanceof IpsetOp.Destroy d) {
      set(n, d.set());
      for (Map<String, List<List<String>>> chains : n.chains.values()) {
        for (List<List<String>> rules : chains.values()) {
          for (List<String> rule : rules) {
            if (rule.contains(d.set())) {
              throw new KernelException(
                  "ipset: set " + d.set() + " is in use by a kernel component");
            }
          }
        }
      }
      n.sets.remove(d.set());
      n.members.remove(d.set());
    }
  }

  private static IpsetDef set(Node n, String name) throws KernelException {
    IpsetDef def = n.sets.get(name);
    if (def == null) {
      throw new KernelException("ipset: the set with the given name does not exist: " + name);
    }
    return def;
  }

  private static void checkMember(IpsetDef def, String member) throws KernelException {
    String[] parts = member.split(",", -1);
    String[] kinds = def.type().substring(def.type().indexOf(':') + 1).split(",");
    boolean ok = parts.length == kinds.length;
    for (int i = 0; ok && i < parts.length; i++) {
      ok =
          switch (kinds[i]) {
            case "ip" -> isAddress(parts[i], def.family());
            case "port" ->
                def.bitmap()
                    ? PORT.matcher(parts[i]).matches() && Integer.parseInt(parts[i]) <= 65535
                    : isProtoPort(parts[i]);
            case "net" -> isAddress(parts[i].split("/")[0], def.family());
            default -> false;
          };
    }
    if (!ok) {
      throw new KernelException("ipset: '" + member + "' is not a member of a " + def.type());
    }
  }

  private static boolean isAddress(String text, IpFamily family) {
    return IpAddress.isValid(text) && IpAddress.parse(text).family() == family;
  }

  private static boolean isProtoPort(String text) {
    int colon = text.indexOf(':');
    return colon > 0
        && List.of("tcp", "udp", "sctp").contains(text.substring(0, colon))
        && PORT.matcher(text.substring(colon + 1)).matches();
  }

  private static void address(Node n, AddressOp op) throws KernelException {
    if (!n.device) {
      throw new KernelException("ip: Device \"" + IpvsNames.DUMMY_DEVICE + "\" does not exist.");
    }
    if (op.add() ? !n.addresses.add(op.address()) : !n.addresses.remove(op.address())) {
      throw new KernelException(
          "ip: RTNETLINK answers: "
              + (op.add() ? "File exists" : "Cannot assign requested address")
              + " ("
              + op.address()
              + ")");
    }
  }

  private static void ipvs(Node n, IpvsOp op) throws KernelException {
    if (op instanceof IpvsOp.AddService a) {
      if (n.services.putIfAbsent(a.service(), a.config()) != null) {
        throw new KernelException("ipvsadm: Service already exists: " + a.service());
      }
    } else if (op instanceof IpvsOp.EditService e) {
      service(n, e.service());
      n.services.put(e.service(), e.config());
    } else if (op instanceof IpvsOp.DeleteService d) {
      service(n, d.service());
      n.services.remove(d.service());
      n.servers.keySet().removeIf(rs -> rs.service().equals(d.service()));
    } else if (op instanceof IpvsOp.AddServer a) {
      service(n, a.server().service());
      if (n.servers.putIfAbsent(a.server(), a.weight()) != null) {
        throw new KernelException("ipvsadm: Destination already exists: " + a.server());
      }
    } else if (op instanceof IpvsOp.EditServer e) {
      server(n, e.server());
      n.servers.put(e.server(), e.weight());
    } else if (op instanceof IpvsOp.DeleteServer d) {
      server(n, d.server());
      n.servers.remove(d.server());
    } else if (op instanceof IpvsOp.SetTimeouts t) {
      n.timeouts = t;
    }
  }

  private static void service(Node n, VirtualServer vs) throws KernelException {
    if (!n.services.containsKey(vs)) {
      throw new KernelException("ipvsadm: No such service: " + vs);
    }
  }

  private static void server(Node n, RealServer rs) throws KernelException {
    service(n, rs.service());
    if (!n.servers.containsKey(rs)) {
      throw new KernelException("ipvsadm: No such destination: " + rs);
    }
  }

  private static void glue(Node n, IpvsTransaction t) throws KernelException {
    Map<String, List<List<String>>> chains =
        n.chains.computeIfAbsent(t.family(), f -> new LinkedHashMap<>());
    for (GlueChain c : t.glue()) {
      chains.put(c.table() + " " + c.chain(), new ArrayList<>(c.rules()));
    }
    for (GlueChain c : t.glue()) {
      for (List<String> rule : c.rules()) {
        checkRule(n, chains, t.family(), c.table(), rule);
      }
    }
    Set<GlueJump> jumps = n.jumps.computeIfAbsent(t.family(), f -> new LinkedHashSet<>());
    for (GlueJump j : t.jumps()) {
      checkRule(n, chains, t.family(), j.table(), j.args());
      jumps.add(j);
    }
  }

  private static void checkRule(
      Node n,
      Map<String, List<List<String>>> chains,
      IpFamily family,
      String table,
      List<String> rule)
      throws KernelException {
    for (int i = 0; i < rule.size() - 1; i++) {
      String next = rule.get(i + 1);
      if (rule.get(i).equals("--match-set")
          && (!n.sets.containsKey(next) || n.sets.get(next).family() != family)) {
        throw new KernelException(
            IpvsNames.iptables(family) + "-restore: Set " + next + " doesn't exist.");
      }
      if (rule.get(i).equals("-j")
          && next.startsWith("KUBE-")
          && !chains.containsKey(table + " " + next)) {
        throw new KernelException(
            IpvsNames.iptables(family)
                + "-restore: Couldn't load target `"
                + next
                + "' in table "
                + table);
      }
    }
  }

  @Override
  public IpvsExisting read(IpFamily family) {
    Set<String> ours = new TreeSet<>();
    ImmutableSet.Builder<IpsetEntry> members = ImmutableSet.builder();
    for (IpsetDef def : IpvsNames.sets(family)) {
      if (node.sets.containsKey(def.name())) {
        ours.add(def.name());
        for (String m : node.members.get(def.name())) {
          members.add(new IpsetEntry(def.name(), m));
        }
      }
    }
    return new IpvsExisting(
        family,
        ImmutableSet.copyOf(ours),
        members.build(),
        node.device,
        ImmutableSet.copyOf(node.addresses.stream().filter(a -> a.family() == family).toList()),
        ImmutableMap.copyOf(services(family)),
        ImmutableMap.copyOf(servers(family)),
        ImmutableSet.copyOf(node.jumps.getOrDefault(family, Set.of())));
  }

  @Override
  public void cleanup() {
    node = new Node();
  }

  @Override
  public Map<RealServer, Integer> connections(IpFamily family, Collection<RealServer> servers) {
    Map<RealServer, Integer> out = new HashMap<>();
    for (RealServer rs : servers) {
      if (node.servers.containsKey(rs)) {
        out.put(rs, connections.getOrDefault(rs, 0));
      }
    }
    return out;
  }

  /** Tells the fake that {@code server} carries {@code count} connections. */
  public void setConnections(RealServer server, int count) {
    connections.put(server, count);
  }

  public ImmutableSortedMap<VirtualServer, ServiceConfig> services(IpFamily family) {
    return ImmutableSortedMap.copyOf(
        node.services.entrySet().stream()
            .filter(e -> e.getKey().address().family() == family)
            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
  }

  public ImmutableSortedMap<RealServer, Integer> servers(IpFamily family) {
    return ImmutableSortedMap.copyOf(
        node.servers.entrySet().stream()
            .filter(e -> e.getKey().address().family() == family)
            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
  }

  /** The members of set {@code name}; empty when it does not exist. */
  public ImmutableSortedSet<String> members(String name) {
    return ImmutableSortedSet.copyOf(node.members.getOrDefault(name, new TreeSet<>()));
  }

  public boolean hasSet(String name) {
    return node.sets.containsKey(name);
  }

  public ImmutableSortedSet<IpAddress> addresses() {
    return ImmutableSortedSet.copyOf(node.addresses);
  }

  public boolean hasDevice() {
    return node.device;
  }

  /** The rules of glue chain {@code table chain} in {@code family}, as rendered lines. */
  public ImmutableList<String> rules(IpFamily family, String table, String chain) {
    List<List<String>> rules = node.chains.getOrDefault(family, Map.of()).get(table + " " + chain);
    return rules == null
        ? ImmutableList.of()
        : ImmutableList.copyOf(rules.stream().map(IpvsRenderer::join).toList());
  }

  public ImmutableSet<GlueJump> jumps(IpFamily family) {
    return ImmutableSet.copyOf(node.jumps.getOrDefault(family, Set.of()));
  }

  /** The sysctls written, by key. */
  public ImmutableMap<String, String> sysctls() {
    return ImmutableMap.copyOf(node.sysctls);
  }

  /** The last {@code ipvsadm --set}, or null. */
  public IpvsOp.SetTimeouts timeouts() {
    return node.timeouts;
  }

  /** How many transactions were applied. */
  public int applies() {
    return applies;
  }

  /** Everything the node holds as sorted text, for comparing two nodes. */
  public String dump() {
    StringBuilder out = new StringBuilder();
    out.append("device ").append(node.device).append('\n');
    node.sysctls.forEach(
        (k, v) -> out.append("sysctl ").append(k).append('=').append(v).append('\n'));
    out.append("timeouts ").append(node.timeouts).append('\n');
    node.addresses.forEach(a -> out.append("addr ").append(a).append('\n'));
    node.sets.forEach(
        (name, def) -> {
          out.append("set ").append(name).append(' ').append(def.type()).append('\n');
          node.members.get(name).forEach(m -> out.append("  ").append(m).append('\n'));
        });
    node.services.forEach(
        (vs, c) -> out.append("service ").append(vs).append(' ').append(c.options()).append('\n'));
    node.servers.forEach(
        (rs, w) -> out.append("server ").append(rs).append(" w").append(w).append('\n'));
    for (IpFamily f : IpFamily.values()) {
      node.chains.getOrDefault(f, Map.of()).entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(
              e -> {
                out.append(f).append(" chain ").append(e.getKey()).append('\n');
                e.getValue()
                    .forEach(r -> out.append("  ").append(IpvsRenderer.join(r)).append('\n'));
              });
      node.jumps.getOrDefault(f, Set.of()).stream()
          .map(j -> f + " jump " + j.table() + " " + j.chain() + " " + IpvsRenderer.join(j.args()))
          .sorted()
          .forEach(j -> out.append(j).append('\n'));
    }
    return out.toString();
  }
}
