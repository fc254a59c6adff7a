package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.BackendCompiler;
import dev.kubeproxy.api.backend.kit.SharedObjects;
import dev.kubeproxy.ipvs.IpvsOp.AddServer;
import dev.kubeproxy.ipvs.IpvsOp.AddService;
import dev.kubeproxy.ipvs.IpvsOp.DeleteServer;
import dev.kubeproxy.ipvs.IpvsOp.DeleteService;
import dev.kubeproxy.ipvs.IpvsOp.EditServer;
import dev.kubeproxy.ipvs.IpvsOp.EditService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compiles a table change into an IPVS transaction (DESIGN §6, compile). A full compile diffs
 * everything the table needs against what the kernel holds ({@link IpvsExisting}), so the switch
 * has no moment without rules; a partial compile looks only at the changed keys and the committed
 * {@link IpvsState}, so one endpoint change costs a constant number of operations. Full compiles
 * also carry the sysctls and timeouts the mode needs, so they are re-asserted.
 *
 * <p>Graceful termination, as upstream: a TCP real server that is no longer wanted while its
 * virtual service stays is set to weight 0 (new connections avoid it, established ones go on) and
 * deleted by a later sync once {@link RealServerConnections} reports none left, checked at most
 * once per {@link IpvsConfig#gracefulCheckInterval()}; UDP and SCTP ones are deleted at once. This
 * check is the one kernel read a partial compile makes, and only while servers drain.
 */
public final class IpvsCompiler
    implements BackendCompiler<IpvsState, IpvsTransaction, IpvsExisting> {
  private final IpvsConfig config;
  private final RealServerConnections connections;

  public IpvsCompiler(IpvsConfig config, RealServerConnections connections) {
    this.config = Objects.requireNonNull(config);
    this.connections = Objects.requireNonNull(connections);
  }

  /** Full when asked, when nothing was committed, or when the table-wide facts changed. */
  @Override
  public boolean compilesFully(TableChange change, boolean full, IpvsState committed) {
    return full || committed == null || !committed.facts().sameFacts(change.next());
  }

  @Override
  public IpvsExisting nothingInstalled(IpFamily family) {
    return IpvsExisting.nothing(family);
  }

  @Override
  public Compiled<IpvsState, IpvsTransaction> compile(
      TableChange change, boolean full, IpvsState committed, IpvsExisting existing, long nowNanos) {
    if (compilesFully(change, full, committed)) {
      return full(change.next(), existing, committed, nowNanos);
    }
    return partial(change, committed, nowNanos);
  }

  @Override
  public String render(Map<IpFamily, IpvsTransaction> transactions) {
    return new IpvsRenderer().render(List.copyOf(transactions.values()));
  }

  /** Everything {@code next} needs, as the changes from {@code existing}. */
  public Compiled<IpvsState, IpvsTransaction> full(
      ForwardingTable next, IpvsExisting existing, IpvsState committed, long now) {
    IpFamily family = next.family();
    EntryCompiler compiler = new EntryCompiler(next, config);
    Map<ServicePortKey, EntryObjects> entries = new HashMap<>();
    Claims claims = new Claims(null);
    TreeMap<ServicePortKey, ImmutableList<ImmutableList<String>>> outFilter = new TreeMap<>();
    for (ServiceEntry entry : next.sortedEntries()) {
      EntryObjects objects = compiler.compile(entry);
      entries.put(entry.key(), objects);
      claims.replace(entry.key(), EntryObjects.EMPTY, objects);
      if (!objects.outFilter().isEmpty()) {
        outFilter.put(entry.key(), objects.outFilter());
      }
    }
    claims.finish();
    Map<VirtualServer, ServiceConfig> services = values(claims.services.changes());
    Map<RealServer, Integer> servers = values(claims.servers.changes());
    Map<IpAddress, Boolean> addresses = values(claims.addresses.changes());
    Map<IpsetEntry, Boolean> members = values(claims.members.changes());

    List<IpsetOp> ipsets = new ArrayList<>();
    for (IpsetDef def : IpvsNames.sets(family)) {
      ipsets.add(new IpsetOp.Create(def));
    }
    for (IpsetEntry m : new TreeSet<>(existing.members())) {
      if (!members.containsKey(m)) {
        ipsets.add(new IpsetOp.Del(m));
      }
    }
    for (IpsetEntry m : members.keySet()) {
      if (!existing.members().contains(m)) {
        ipsets.add(new IpsetOp.Add(m));
      }
    }
    List<AddressOp> addressOps = new ArrayList<>();
    for (IpAddress a : new TreeSet<>(existing.addresses())) {
      if (!addresses.containsKey(a)) {
        addressOps.add(AddressOp.delete(a));
      }
    }
    for (IpAddress a : addresses.keySet()) {
      if (!existing.addresses().contains(a)) {
        addressOps.add(AddressOp.add(a));
      }
    }

    IpvsOps ops = new IpvsOps();
    if (config.timeouts() != null) {
      ops.services.add(config.timeouts());
    }
    TreeMap<RealServer, Long> draining = new TreeMap<>();
    Set<RealServer> fresh = new HashSet<>();
    for (VirtualServer vs : new TreeSet<>(existing.services().keySet())) {
      if (!services.containsKey(vs) && !config.excluded(vs.address())) {
        ops.deleteServices.add(new DeleteService(vs));
      }
    }
    for (Map.Entry<VirtualServer, ServiceConfig> e : services.entrySet()) {
      ServiceConfig was = existing.services().get(e.getKey());
      if (was == null) {
        ops.services.add(new AddService(e.getKey(), e.getValue()));
      } else if (!was.equals(e.getValue())) {
        ops.services.add(new EditService(e.getKey(), e.getValue()));
      }
    }
    for (Map.Entry<RealServer, Integer> e : new TreeMap<>(existing.servers()).entrySet()) {
      RealServer rs = e.getKey();
      if (servers.containsKey(rs) || !services.containsKey(rs.service())) {
        continue;
      }
      if (rs.service().protocol() == Protocol.TCP) {
        Long since = committed == null ? null : committed.draining().get(rs);
        draining.put(rs, since == null ? now : since);
        if (since == null) {
          fresh.add(rs);
        }
        if (e.getValue() != 0) {
          ops.servers.add(new EditServer(rs, 0));
        }
      } else {
        ops.deleteServers.add(new DeleteServer(rs));
      }
    }
    for (Map.Entry<RealServer, Integer> e : servers.entrySet()) {
      Integer was = existing.servers().get(e.getKey());
      if (was == null) {
        ops.servers.add(new AddServer(e.getKey(), e.getValue()));
      } else if (!was.equals(e.getValue())) {
        ops.servers.add(new EditServer(e.getKey(), e.getValue()));
      }
    }
    long lastCheck =
        committed == null
            ? now - config.gracefulCheckInterval().toNanos()
            : committed.lastDrainCheck();
    lastCheck = checkDrained(family, draining, fresh, now, lastCheck, ops);

    List<GlueJump> jumps = new ArrayList<>();
    for (GlueJump j : IpvsGlue.jumps()) {
      if (!existing.jumps().contains(j)) {
        jumps.add(j);
      }
    }
    IpvsTransaction transaction =
        new IpvsTransaction(
            family,
            ImmutableList.copyOf(ipsets),
            !existing.device(),
            ImmutableList.copyOf(addressOps),
            ops.all(),
            new IpvsGlue(next).chains(flatten(outFilter)),
            ImmutableList.copyOf(jumps),
            config.sysctls());
    IpvsState state =
        new IpvsState(
            next,
            PersistentMap.copyOf(entries),
            claims.services.objects(),
            claims.servers.objects(),
            claims.addresses.objects(),
            claims.members.objects(),
            ImmutableSortedMap.copyOfSorted(outFilter),
            ImmutableSortedMap.copyOfSorted(draining),
            lastCheck);
    return new Compiled<>(transaction, state);
  }

  /** The delta of the changed keys against {@code committed}. */
  public Compiled<IpvsState, IpvsTransaction> partial(
      TableChange change, IpvsState committed, long now) {
    IpFamily family = change.family();
    EntryCompiler compiler = new EntryCompiler(change.next(), config);
    Map<ServicePortKey, EntryObjects> updates = new HashMap<>();
    Claims claims = new Claims(committed);
    TreeMap<ServicePortKey, ImmutableList<ImmutableList<String>>> outFilter = null;
    for (ServicePortKey key : new TreeSet<>(change.changedKeys())) {
      EntryObjects before = committed.entries().getOrDefault(key, EntryObjects.EMPTY);
      ServiceEntry entry = change.next().entry(key);
      EntryObjects after = entry == null ? EntryObjects.EMPTY : compiler.compile(entry);
      if (before.equals(after)) {
        continue;
      }
      updates.put(key, entry == null ? null : after);
      claims.replace(key, before, after);
      if (!before.outFilter().equals(after.outFilter())) {
        if (outFilter == null) {
          outFilter = new TreeMap<>(committed.outFilter());
        }
        if (after.outFilter().isEmpty()) {
          outFilter.remove(key);
        } else {
          outFilter.put(key, after.outFilter());
        }
      }
    }
    claims.finish();

    List<IpsetOp> ipsets = new ArrayList<>();
    for (SharedObjects.Change<IpsetEntry, Boolean> c : claims.members.changes()) {
      ipsets.add(c.after() == null ? new IpsetOp.Del(c.id()) : new IpsetOp.Add(c.id()));
    }
    List<AddressOp> addressOps = new ArrayList<>();
    for (SharedObjects.Change<IpAddress, Boolean> c : claims.addresses.changes()) {
      addressOps.add(c.after() == null ? AddressOp.delete(c.id()) : AddressOp.add(c.id()));
    }
    IpvsOps ops = new IpvsOps();
    TreeMap<RealServer, Long> draining = new TreeMap<>(committed.draining());
    Set<RealServer> fresh = new HashSet<>();
    for (SharedObjects.Change<VirtualServer, ServiceConfig> c : claims.services.changes()) {
      if (c.after() == null) {
        ops.deleteServices.add(new DeleteService(c.id()));
        // Deleting a virtual service deletes its real servers, draining ones included.
        draining.keySet().removeIf(rs -> rs.service().equals(c.id()));
      } else if (c.before() == null) {
        ops.services.add(new AddService(c.id(), c.after()));
      } else {
        ops.services.add(new EditService(c.id(), c.after()));
      }
    }
    SharedObjects<ServicePortKey, VirtualServer, ServiceConfig> servicesAfter =
        claims.services.objects();
    for (SharedObjects.Change<RealServer, Integer> c : claims.servers.changes()) {
      RealServer rs = c.id();
      if (c.after() == null) {
        if (servicesAfter.value(rs.service()) == null) {
          continue;
        }
        if (rs.service().protocol() == Protocol.TCP) {
          ops.servers.add(new EditServer(rs, 0));
          draining.put(rs, now);
          fresh.add(rs);
        } else {
          ops.deleteServers.add(new DeleteServer(rs));
        }
      } else if (c.before() == null && draining.remove(rs) == null) {
        ops.servers.add(new AddServer(rs, c.after()));
      } else {
        // A changed weight, or a draining server wanted again: restore its weight.
        ops.servers.add(new EditServer(rs, c.after()));
      }
    }
    long lastCheck = checkDrained(family, draining, fresh, now, committed.lastDrainCheck(), ops);

    ImmutableList<GlueChain> glue =
        outFilter == null
            ? ImmutableList.of()
            : ImmutableList.of(IpvsGlue.outFilter(flatten(outFilter)));
    IpvsTransaction transaction =
        new IpvsTransaction(
            family,
            ImmutableList.copyOf(ipsets),
            false,
            ImmutableList.copyOf(addressOps),
            ops.all(),
            glue,
            ImmutableList.of(),
            ImmutableMap.of());
    IpvsState state =
        new IpvsState(
            change.next(),
            committed.entries().with(updates),
            claims.services.objects(),
            claims.servers.objects(),
            claims.addresses.objects(),
            claims.members.objects(),
            outFilter == null ? committed.outFilter() : ImmutableSortedMap.copyOfSorted(outFilter),
            ImmutableSortedMap.copyOfSorted(draining),
            lastCheck);
    return new Compiled<>(transaction, state);
  }

  /**
   * Deletes the draining servers the kernel reports without connections, when the check is due;
   * forgets those the kernel no longer holds. Servers that start draining in this very transaction
   * ({@code fresh}) wait for the next check. Returns when the check last ran.
   */
  private long checkDrained(
      IpFamily family,
      TreeMap<RealServer, Long> draining,
      Set<RealServer> fresh,
      long now,
      long lastCheck,
      IpvsOps ops) {
    List<RealServer> due = new ArrayList<>();
    for (RealServer rs : draining.keySet()) {
      if (!fresh.contains(rs)) {
        due.add(rs);
      }
    }
    if (due.isEmpty() || now - lastCheck < config.gracefulCheckInterval().toNanos()) {
      return lastCheck;
    }
    Map<RealServer, Integer> counts = connections.connections(family, due);
    for (RealServer rs : due) {
      Integer count = counts.get(rs);
      if (count == null) {
        draining.remove(rs);
      } else if (count == 0) {
        draining.remove(rs);
        ops.deleteServers.add(new DeleteServer(rs));
      }
    }
    return now;
  }

  private static <I, V> Map<I, V> values(List<SharedObjects.Change<I, V>> changes) {
    Map<I, V> out = new LinkedHashMap<>();
    for (SharedObjects.Change<I, V> c : changes) {
      if (c.after() != null) {
        out.put(c.id(), c.after());
      }
    }
    return out;
  }

  private static List<ImmutableList<String>> flatten(
      Map<ServicePortKey, ImmutableList<ImmutableList<String>>> rules) {
    List<ImmutableList<String>> out = new ArrayList<>();
    for (ImmutableList<ImmutableList<String>> r : rules.values()) {
      out.addAll(r);
    }
    return out;
  }

  /** The four kinds of claimed objects, edited together. */
  private static final class Claims {
    private final SharedObjects.Edit<ServicePortKey, VirtualServer, ServiceConfig> servicesEdit;
    private final SharedObjects.Edit<ServicePortKey, RealServer, Integer> serversEdit;
    private final SharedObjects.Edit<ServicePortKey, IpAddress, Boolean> addressesEdit;
    private final SharedObjects.Edit<ServicePortKey, IpsetEntry, Boolean> membersEdit;
    SharedObjects.Result<ServicePortKey, VirtualServer, ServiceConfig> services;
    SharedObjects.Result<ServicePortKey, RealServer, Integer> servers;
    SharedObjects.Result<ServicePortKey, IpAddress, Boolean> addresses;
    SharedObjects.Result<ServicePortKey, IpsetEntry, Boolean> members;

    Claims(IpvsState base) {
      servicesEdit =
          base == null
              ? SharedObjects.<ServicePortKey, VirtualServer, ServiceConfig>empty().edit()
              : base.services().edit();
      serversEdit =
          base == null
              ? SharedObjects.<ServicePortKey, RealServer, Integer>empty().edit()
              : base.servers().edit();
      addressesEdit =
          base == null
              ? SharedObjects.<ServicePortKey, IpAddress, Boolean>empty().edit()
              : base.addresses().edit();
      membersEdit =
          base == null
              ? SharedObjects.<ServicePortKey, IpsetEntry, Boolean>empty().edit()
              : base.members().edit();
    }

    void replace(ServicePortKey key, EntryObjects before, EntryObjects after) {
      servicesEdit.replace(key, before.services(), after.services());
      serversEdit.replace(key, before.servers(), after.servers());
      addressesEdit.replace(key, before.addressClaims(), after.addressClaims());
      membersEdit.replace(key, before.memberClaims(), after.memberClaims());
    }

    void finish() {
      services = servicesEdit.finish();
      servers = serversEdit.finish();
      addresses = addressesEdit.finish();
      members = membersEdit.finish();
    }
  }

  /** IPVS operations by kind, run in the order: deletes, then services, then servers. */
  private static final class IpvsOps {
    final List<IpvsOp> deleteServers = new ArrayList<>();
    final List<IpvsOp> deleteServices = new ArrayList<>();
    final List<IpvsOp> services = new ArrayList<>();
    final List<IpvsOp> servers = new ArrayList<>();

    ImmutableList<IpvsOp> all() {
      return ImmutableList.<IpvsOp>builder()
          .addAll(deleteServers)
          .addAll(deleteServices)
          .addAll(services)
          .addAll(servers)
          .build();
    }
  }
}
