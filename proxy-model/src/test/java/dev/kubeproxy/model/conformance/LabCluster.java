package dev.kubeproxy.model.conformance;

import static com.google.common.base.Preconditions.checkState;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.PendingChanges;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableBuilder;
import dev.kubeproxy.model.conntrack.ConntrackTool;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A backend under test programming a {@link NetnsLab}'s node namespace, fed the way the proxy
 * feeds it: Services and EndpointSlices go into a {@link ChangeTracker}, {@link TableBuilder}
 * builds each family's table, and the backend gets a full sync first and partial syncs after.
 * Test classes share one per lab and {@link #reset} it between tests.
 */
public final class LabCluster {
  /** This proxy's node (the lab's node namespace); local pods' endpoints name it. */
  public static final String NODE = "lab-node";
  /** The node remote pods' endpoints name. */
  public static final String REMOTE_NODE = "lab-remote-node";
  /** Every test service lives in this namespace. */
  public static final String NAMESPACE = "default";
  /** Service port of the {@code tcp} and {@code udp} ports of {@link #service}. */
  public static final int PORT = 80;
  /** Target port of the {@code tcp} and {@code udp} ports: every endpoint pod serves it. */
  public static final int TARGET_PORT = 8080;

  /** The outside namespace's address on the node's link, the node's default gateway. */
  public static final IpAddress OUTSIDE_ROUTER = IpAddress.parse("192.0.2.2");

  public static final IpAddress OUTSIDE_ROUTER6 = IpAddress.parse("2001:db8::2");

  private final NetnsLab lab;
  private final BackendUnderTest backendUnderTest;
  private Backend backend;
  private ProxyConfig config;
  private ChangeTracker tracker;
  private Map<IpFamily, ForwardingTable> committed;

  /**
   * Wraps {@code lab}, giving its node a default route towards the outside namespace as real
   * nodes have one: without it the node has no route to ClusterIPs, so host traffic to them
   * fails before the NAT hooks, and a pod's packet to a ClusterIP port that is not DNATed gets
   * "network unreachable" before the filter rules can reject it.
   */
  public LabCluster(NetnsLab lab, BackendUnderTest backendUnderTest) throws CommandException {
    this.lab = Objects.requireNonNull(lab);
    this.backendUnderTest = Objects.requireNonNull(backendUnderTest);
    lab.exec(lab.nodeNs(), "ip", "route", "add", "default", "via", OUTSIDE_ROUTER.toString());
    lab.exec(lab.nodeNs(), "ip", "-6", "route", "add", "default", "via",
        OUTSIDE_ROUTER6.toString());
    // Rejects answer with ICMP errors; the default rate limit would turn some into timeouts.
    lab.exec(lab.nodeNs(), "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0",
        "net.ipv6.icmp.ratelimit=0");
  }

  /** Dual-stack, node IPs of the lab, ClusterCIDR detector on the lab's cluster CIDRs. */
  public static ProxyConfig defaultConfig() {
    return ProxyConfig.builder(NODE)
        .families(IpFamily.V4, IpFamily.V6)
        .nodeIps(List.of(NetnsLab.nodeIp(IpFamily.V4), NetnsLab.nodeIp(IpFamily.V6)))
        .clusterCidrs(List.of(NetnsLab.CLUSTER_CIDR, NetnsLab.CLUSTER_CIDR6))
        .detectLocal(LocalTrafficDetector.Mode.CLUSTER_CIDR)
        .build();
  }

  /** The backend of the current test (a new one after each {@link #reset}). */
  public Backend backend() {
    return backend;
  }

  /** The mode of the backend under test. */
  public String mode() {
    return backendUnderTest.mode();
  }

  /** What the backend programmed in the node, or why that could not be listed. */
  public String programmed() {
    try {
      return backendUnderTest.listProgrammed(lab.nodeRunner());
    } catch (CommandException | RuntimeException e) {
      return "(could not list what " + mode() + " programmed: " + e.getMessage() + ")";
    }
  }

  /** {@link BackendUnderTest#normalizedListing} of the node. */
  public String normalizedListing() throws CommandException {
    return backendUnderTest.normalizedListing(lab.nodeRunner());
  }

  /**
   * Starts over with {@code config}: removes what the backend owns with {@link Backend#cleanup},
   * flushes the node's conntrack table (so no flow of an earlier test is reused) and forgets
   * every service; the next {@link #sync} is full, with a fresh backend.
   */
  public void reset(ProxyConfig config) throws SyncException, CommandException {
    this.backend = backendUnderTest.create(lab.nodeRunner());
    backend.cleanup();
    lab.exec(lab.nodeNs(), "conntrack", "-F");
    this.config = config;
    this.tracker = new ChangeTracker(Clock.systemUTC());
    this.committed = null;
  }

  public void upsert(Service service) {
    tracker.upsertService(service);
  }

  public void upsert(EndpointSlice slice) {
    tracker.upsertEndpointSlice(slice);
  }

  public void upsert(ServiceCidr serviceCidr) {
    tracker.upsertServiceCidr(serviceCidr);
  }

  /** Adds {@code objects} (Services, EndpointSlices and ServiceCIDRs) and syncs. */
  public void apply(Object... objects) throws SyncException {
    for (Object o : objects) {
      if (o instanceof Service s) {
        upsert(s);
      } else if (o instanceof ServiceCidr c) {
        upsert(c);
      } else {
        upsert((EndpointSlice) o);
      }
    }
    sync();
  }

  /**
   * Builds the tables of the pending changes and syncs them: full the first time after {@link
   * #reset} or {@link #restartFresh}, partial (only the keys whose entries differ) after that.
   */
  public void sync() throws SyncException {
    PendingChanges pending = tracker.drain();
    ClusterSnapshot snapshot = pending.snapshot();
    boolean full = committed == null;
    Map<IpFamily, ForwardingTable> next = new EnumMap<>(IpFamily.class);
    List<TableChange> changes = new ArrayList<>();
    for (IpFamily family : config.families()) {
      ForwardingTable previous = full ? ForwardingTable.empty(family) : committed.get(family);
      ForwardingTable table = TableBuilder.build(family, snapshot, config);
      changes.add(new TableChange(family, previous, table, changedKeys(previous, table)));
      next.put(family, table);
    }
    backend.sync(new SyncRequest(ImmutableList.copyOf(changes), full));
    committed = next;
  }

  /**
   * A fresh backend that has committed nothing, as a new proxy process: the next {@link #sync}
   * is full. Unlike {@link #reset}, the rules, the conntrack table and the Services stay.
   */
  public void restartFresh() {
    backend = backendUnderTest.create(lab.nodeRunner());
    committed = null;
  }

  /** A fresh backend, as after a restart, fully syncing the tables last committed. */
  public void restartBackend() throws SyncException {
    checkState(committed != null, "nothing synced yet");
    backend = backendUnderTest.create(lab.nodeRunner());
    List<TableChange> changes = new ArrayList<>();
    for (IpFamily family : config.families()) {
      changes.add(TableChange.initial(committed.get(family)));
    }
    backend.sync(new SyncRequest(ImmutableList.copyOf(changes), true));
  }

  /** The table of {@code family} last synced. */
  public ForwardingTable table(IpFamily family) {
    checkState(committed != null, "nothing synced yet");
    return committed.get(family);
  }

  /**
   * Reconciles the node's UDP conntrack entries against every family's last synced table, as
   * the binary does after a sync (one listing and at most one batched delete per family).
   *
   * @return how many entries were deleted
   */
  public int reconcileConntrack() throws CommandException {
    checkState(committed != null, "nothing synced yet");
    ConntrackTool tool = new ConntrackTool(lab.nodeRunner());
    int deleted = 0;
    for (ForwardingTable table : committed.values()) {
      deleted += tool.reconcile(table).deleted();
    }
    return deleted;
  }

  private static ImmutableSet<ServicePortKey> changedKeys(
      ForwardingTable previous, ForwardingTable next) {
    Set<ServicePortKey> keys = new HashSet<>();
    for (Map.Entry<ServicePortKey, ServiceEntry> e : previous.entries().entrySet()) {
      if (!e.getValue().equals(next.entry(e.getKey()))) {
        keys.add(e.getKey());
      }
    }
    for (ServicePortKey key : next.entries().keySet()) {
      if (previous.entry(key) == null) {
        keys.add(key);
      }
    }
    return ImmutableSet.copyOf(keys);
  }

  // ------------------------------------------------------------------ objects

  /** A ClusterIP service with ports {@code tcp} 80/TCP and {@code udp} 80/UDP. */
  public static Service.Builder service(String name, String clusterIp) {
    return Service.builder(NAMESPACE, name)
        .clusterIp(clusterIp)
        .port("tcp", "TCP", PORT)
        .port("udp", "UDP", PORT);
  }

  /** A slice of {@code service} with ports {@code tcp} and {@code udp} 8080, ready endpoints. */
  public static EndpointSlice slice(String service, IpFamily family, Pod... pods) {
    EndpointSlice.Builder b = sliceBuilder(service, family);
    for (Pod pod : pods) {
      b.endpoint(pod.ip(family).toString(), nodeOf(pod));
    }
    return b.build();
  }

  /** An empty slice builder of {@code service} with ports {@code tcp}/{@code udp} 8080. */
  public static EndpointSlice.Builder sliceBuilder(String service, IpFamily family) {
    return EndpointSlice.builder(NAMESPACE, service + "-" + family.name().toLowerCase())
        .serviceName(service)
        .addressType(family == IpFamily.V4 ? "IPv4" : "IPv6")
        .port("tcp", "TCP", TARGET_PORT)
        .port("udp", "UDP", TARGET_PORT);
  }

  public static String nodeOf(Pod pod) {
    return pod.local() ? NODE : REMOTE_NODE;
  }

  // ------------------------------------------------------------------ replies

  /** The names of the servers that answered; fails unless every request was answered. */
  public static Set<String> servers(List<Reply> replies) {
    assertThat(replies).as("replies").allMatch(Reply::answered);
    Set<String> names = new TreeSet<>();
    replies.forEach(r -> names.add(r.serverName()));
    return names;
  }

  /** The one server that answered all of {@code client}'s {@code replies}; fails if several did. */
  public static String onlyServer(List<Reply> replies, Object client) {
    Set<String> servers = servers(replies);
    assertThat(servers).as("servers of client %s's connections", client).hasSize(1);
    return servers.iterator().next();
  }

  /** The names of {@code pods}. */
  public static Set<String> names(Pod... pods) {
    Set<String> names = new TreeSet<>();
    for (Pod pod : pods) {
      names.add(pod.name());
    }
    return names;
  }
}
