package dev.kubeproxy.bin.server;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.ImmutableSortedMap;
import com.sun.net.httpserver.HttpExchange;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.TableFacts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP server per healthCheckNodePort of the committed tables, so that load balancers send
 * eTP=Local traffic only to nodes with local endpoints: any path answers 200 when the service
 * has local ready endpoints and the proxy is healthy, else 503, with upstream's JSON body and
 * headers. {@link #update} reconciles the servers with the tables after each sync, and moves
 * them when the tables change where they should listen.
 */
public final class ServiceHealthServers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServiceHealthServers.class);

  private final Function<Map<IpFamily, ForwardingTable>, List<IpAddress>> bindAddressesOf;
  private ImmutableList<IpAddress> bindAddresses;
  private Map<IpFamily, TableFacts> followedFacts;
  private final BooleanSupplier proxyHealthy;
  private final Map<NamespacedName, HealthServer> servers = new HashMap<>();
  // What each (family, service port) with a healthCheckNodePort contributes, by service; only
  // services with a health check are here, so reconciling costs that, not the table size.
  private final Map<NamespacedName, Map<FamilyKey, Contribution>> contributions = new TreeMap<>();
  private boolean closed;

  private ServiceHealthServers(
      Function<Map<IpFamily, ForwardingTable>, List<IpAddress>> bindAddressesOf,
      List<IpAddress> initial,
      BooleanSupplier proxyHealthy) {
    this.bindAddressesOf = Objects.requireNonNull(bindAddressesOf, "bindAddressesOf");
    this.bindAddresses = ImmutableList.copyOf(initial);
    this.proxyHealthy = Objects.requireNonNull(proxyHealthy, "proxyHealthy");
  }

  /**
   * Servers listening on each of {@code bindAddresses}, whatever the tables say;
   * {@code proxyHealthy} is read on every request (e.g. {@code serviceProxy::healthy}).
   */
  public static ServiceHealthServers create(List<IpAddress> bindAddresses, BooleanSupplier proxyHealthy) {
    checkArgument(!bindAddresses.isEmpty(), "at least one bind address");
    ImmutableList<IpAddress> fixed = ImmutableList.copyOf(bindAddresses);
    return new ServiceHealthServers(tables -> fixed, fixed, proxyHealthy);
  }

  /**
   * Servers listening where {@code bindAddressesOf} says for the tables of each update (where
   * NodePorts answer); when that changes, every server moves. An empty answer serves nothing.
   */
  public static ServiceHealthServers following(
      Function<Map<IpFamily, ForwardingTable>, List<IpAddress>> bindAddressesOf,
      BooleanSupplier proxyHealthy) {
    return new ServiceHealthServers(bindAddressesOf, List.of(), proxyHealthy);
  }

  /** Servers listening on every IPv4 address (0.0.0.0), upstream's default. */
  public static ServiceHealthServers create(BooleanSupplier proxyHealthy) {
    return create(List.of(IpAddress.parse("0.0.0.0")), proxyHealthy);
  }

  /**
   * Reconciles the servers with {@code tables}, looking at every entry: stops those whose
   * service lost its healthCheckNodePort or changed it, starts the new ones, and updates every
   * local-endpoint count. A port that cannot be bound is logged and tried again on the next
   * update. After a sync prefer {@link #update(Map, Map)}.
   */
  public synchronized void update(Map<IpFamily, ForwardingTable> tables) {
    checkState(!closed, "closed");
    contributions.clear();
    contributions.putAll(contributionsOf(tables));
    follow(tables);
    reconcile();
  }

  /** Like {@link #update(Map)}, looking only at the keys a sync changed. */
  public synchronized void update(
      Map<IpFamily, ForwardingTable> tables,
      Map<IpFamily, ? extends Set<ServicePortKey>> changedKeys) {
    checkState(!closed, "closed");
    changedKeys.forEach(
        (family, keys) -> {
          ForwardingTable table = tables.get(family);
          for (ServicePortKey key : keys) {
            contribute(contributions, family, key, table == null ? null : table.entry(key));
          }
        });
    follow(tables);
    reconcile();
  }

  /**
   * Moves every server when the tables now say to listen elsewhere; asked only when the
   * tables' facts changed (as upstream, the node's addresses are not watched).
   */
  private void follow(Map<IpFamily, ForwardingTable> tables) {
    Map<IpFamily, TableFacts> facts = new HashMap<>();
    tables.forEach((family, table) -> facts.put(family, table.facts()));
    if (facts.equals(followedFacts)) {
      return;
    }
    ImmutableList<IpAddress> wanted;
    try {
      wanted = ImmutableList.copyOf(bindAddressesOf.apply(tables));
    } catch (RuntimeException e) {
      log.warn("cannot tell where to serve health checks; keeping {}: {}", bindAddresses, e.toString());
      return;
    }
    followedFacts = facts;
    if (wanted.equals(bindAddresses)) {
      return;
    }
    if (wanted.isEmpty()) {
      log.warn("no local address is inside nodePortAddresses: serving no service health checks");
    } else {
      log.info("serving service health checks on {}", wanted);
    }
    servers.values().forEach(HealthServer::close);
    servers.clear();
    bindAddresses = wanted;
  }

  /** Where the servers listen now. */
  public synchronized ImmutableList<IpAddress> bindAddresses() {
    return bindAddresses;
  }

  private void reconcile() {
    ImmutableSortedMap<NamespacedName, HealthCheck> wanted = checksOf(contributions);
    for (Iterator<HealthServer> it = servers.values().iterator(); it.hasNext(); ) {
      HealthServer s = it.next();
      HealthCheck check = wanted.get(s.service);
      if (check == null || check.port() != s.port) {
        s.close();
        it.remove();
      }
    }
    for (Map.Entry<NamespacedName, HealthCheck> e : wanted.entrySet()) {
      if (bindAddresses.isEmpty()) {
        break;
      }
      HealthServer running = servers.get(e.getKey());
      if (running != null) {
        running.localEndpoints = e.getValue().localEndpoints();
        continue;
      }
      try {
        servers.put(e.getKey(), new HealthServer(e.getKey(), e.getValue()));
      } catch (IOException ex) {
        log.warn("cannot serve the health check of {} on port {}: {}", e.getKey(),
            e.getValue().port(), ex.toString());
      }
    }
  }

  /** The health-check port served for each service now. */
  public synchronized ImmutableMap<NamespacedName, Integer> ports() {
    ImmutableSortedMap.Builder<NamespacedName, Integer> b = ImmutableSortedMap.naturalOrder();
    servers.forEach((service, s) -> b.put(service, s.port));
    return b.build();
  }

  /** Stops every server and frees their ports; later updates are refused. */
  @Override
  public synchronized void close() {
    closed = true;
    servers.values().forEach(HealthServer::close);
    servers.clear();
  }

  /** What one service's health check serves: its port and its local ready endpoint count. */
  record HealthCheck(int port, int localEndpoints) {}

  /**
   * Every service with a healthCheckNodePort in {@code tables}, with the number of distinct
   * local, non-terminating endpoint IPs across its ports and families. When two services claim
   * one port, the first by name keeps it.
   */
  static ImmutableSortedMap<NamespacedName, HealthCheck> healthChecks(
      Map<IpFamily, ForwardingTable> tables) {
    return checksOf(contributionsOf(tables));
  }

  private static Map<NamespacedName, Map<FamilyKey, Contribution>> contributionsOf(
      Map<IpFamily, ForwardingTable> tables) {
    Map<NamespacedName, Map<FamilyKey, Contribution>> all = new TreeMap<>();
    tables.forEach(
        (family, table) -> table.entries().forEach((key, entry) -> contribute(all, family, key, entry)));
    return all;
  }

  /** Records what {@code entry} (null: removed) contributes to its service's health check. */
  private static void contribute(
      Map<NamespacedName, Map<FamilyKey, Contribution>> into,
      IpFamily family,
      ServicePortKey key,
      ServiceEntry entry) {
    FamilyKey at = new FamilyKey(family, key);
    if (entry == null || entry.healthCheckNodePort() <= 0) {
      Map<FamilyKey, Contribution> service = into.get(key.service());
      if (service != null && service.remove(at) != null && service.isEmpty()) {
        into.remove(key.service());
      }
      return;
    }
    Set<IpAddress> ips = new HashSet<>();
    addLocalReady(entry.external().endpoints(), ips);
    addLocalReady(entry.cluster(), ips);
    into.computeIfAbsent(key.service(), s -> new TreeMap<>())
        .put(at, new Contribution(entry.healthCheckNodePort(), ImmutableSet.copyOf(ips)));
  }

  private static ImmutableSortedMap<NamespacedName, HealthCheck> checksOf(
      Map<NamespacedName, Map<FamilyKey, Contribution>> contributions) {
    ImmutableSortedMap.Builder<NamespacedName, HealthCheck> checks = ImmutableSortedMap.naturalOrder();
    Map<Integer, NamespacedName> owners = new HashMap<>();
    // Services in name order, so the first by name keeps a contested port.
    contributions.forEach((service, parts) -> {
      int port = parts.values().iterator().next().port();
      Set<IpAddress> localIps = new HashSet<>();
      parts.values().forEach(part -> localIps.addAll(part.localIps()));
      NamespacedName owner = owners.putIfAbsent(port, service);
      if (owner != null) {
        log.warn("{} and {} both have healthCheckNodePort {}; serving it for {} only",
            owner, service, port, owner);
      } else {
        checks.put(service, new HealthCheck(port, localIps.size()));
      }
    });
    return checks.build();
  }

  /** A service port in one family. */
  private record FamilyKey(IpFamily family, ServicePortKey key) implements Comparable<FamilyKey> {
    @Override
    public int compareTo(FamilyKey o) {
      int c = family.compareTo(o.family);
      return c != 0 ? c : key.compareTo(o.key);
    }
  }

  /** One service port's health-check port and its local, non-terminating endpoint IPs. */
  private record Contribution(int port, ImmutableSet<IpAddress> localIps) {}

  private static void addLocalReady(List<ServiceEndpoint> endpoints, Set<IpAddress> into) {
    for (ServiceEndpoint ep : endpoints) {
      if (ep.local() && !ep.terminating()) {
        into.add(ep.address());
      }
    }
  }

  /** The server(s) of one service's health-check port, one per bind address. */
  private final class HealthServer {
    final NamespacedName service;
    final int port;
    volatile int localEndpoints;
    private final List<HttpEndpoint> endpoints = new ArrayList<>();

    HealthServer(NamespacedName service, HealthCheck check) throws IOException {
      this.service = service;
      this.port = check.port();
      this.localEndpoints = check.localEndpoints();
      try {
        for (IpAddress address : bindAddresses) {
          endpoints.add(HttpEndpoint.start(
              new InetSocketAddress(address.toInetAddress(), port), "health-" + port, this::handle));
        }
      } catch (IOException e) {
        close();
        throw e;
      }
    }

    void handle(HttpExchange exchange) throws IOException {
      int count = localEndpoints;
      boolean healthy = proxyHealthy.getAsBoolean();
      String body = "{\"service\":{\"namespace\":" + Json.quote(service.namespace())
          + ",\"name\":" + Json.quote(service.name()) + "},\"localEndpoints\":" + count
          + ",\"serviceProxyHealthy\":" + healthy + "}";
      HttpEndpoint.respond(exchange, count > 0 && healthy ? 200 : 503, "application/json", body,
          ImmutableMap.of(
              "X-Content-Type-Options", "nosniff",
              "X-Load-Balancing-Endpoint-Weight", Integer.toString(count)));
    }

    void close() {
      endpoints.forEach(HttpEndpoint::close);
    }
  }
}
