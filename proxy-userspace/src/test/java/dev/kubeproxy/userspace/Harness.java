package dev.kubeproxy.userspace;

import static dev.kubeproxy.api.testing.TableFixtures.entry;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An embedded userspace backend on 127.0.0.1 fed by partial syncs of an IPv4 table, plus the
 * client helpers the tests share. Time for affinity is a settable fake clock.
 */
final class Harness implements AutoCloseable {
  static final IpAddress LOOPBACK = IpAddress.parse("127.0.0.1");

  final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  final UserspaceBackend backend;
  private ForwardingTable table = ForwardingTable.empty(IpFamily.V4);

  Harness(UserspaceConfig config) {
    this.backend = UserspaceBackend.embedded(EmbeddedPlan.ephemeral(List.of(LOOPBACK)), config, nanos::get);
  }

  /** Upstream's dial timeouts, a short UDP idle timeout, two threads. */
  Harness() {
    this(UserspaceConfig.defaults().withThreads(2).withUdpIdleTimeout(Duration.ofSeconds(5)));
  }

  static ServicePortKey key(String name, Protocol protocol) {
    return ServicePortKey.of("default", name, "p", protocol);
  }

  /** A service port with a ClusterIP whose lists hold {@code endpoints} (none: REJECT). */
  static ServiceEntry service(String name, Protocol protocol, ServiceEndpoint... endpoints) {
    return entry("default", name, "p", protocol).clusterIp("10.96.0.10", 80).endpoints(endpoints).build();
  }

  /** Adds or replaces {@code entries} through a partial sync of their keys. */
  void put(ServiceEntry... entries) throws SyncException {
    Map<ServicePortKey, ServiceEntry> changes = new HashMap<>();
    for (ServiceEntry e : entries) {
      changes.put(e.key(), e);
    }
    apply(changes);
  }

  void delete(ServicePortKey key) throws SyncException {
    Map<ServicePortKey, ServiceEntry> changes = new HashMap<>();
    changes.put(key, null);
    apply(changes);
  }

  private void apply(Map<ServicePortKey, ServiceEntry> changes) throws SyncException {
    ForwardingTable next = table.withEntries(changes);
    backend.sync(
        SyncRequest.partial(
            new TableChange(IpFamily.V4, table, next, ImmutableSet.copyOf(changes.keySet()))));
    table = next;
  }

  InetSocketAddress address(ServicePortKey key) {
    return backend.localAddress(key).orElseThrow();
  }

  ServicePortStats stats(ServicePortKey key) {
    return backend.traffic().snapshot().get(key);
  }

  /** Connects, reads the endpoint's greeting line, closes. */
  static String greet(InetSocketAddress target) throws IOException {
    try (Socket s = connect(target, null)) {
      return readLine(s);
    }
  }

  /** A connected socket from {@code sourceIp} (null: any), 5 s read timeout. */
  static Socket connect(InetSocketAddress target, String sourceIp) throws IOException {
    Socket s = new Socket();
    if (sourceIp != null) {
      s.bind(new InetSocketAddress(sourceIp, 0));
    }
    s.setSoTimeout(5000);
    s.connect(target, 5000);
    return s;
  }

  /** Reads one line byte by byte (no read-ahead, so later reads see the rest). */
  static String readLine(Socket s) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = s.getInputStream().read()) != -1 && c != '\n') {
      line.append((char) c);
    }
    if (c == -1 && line.length() == 0) {
      return null;
    }
    return line.toString();
  }

  static BufferedReader reader(Socket s) throws IOException {
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
  }

  /** Polls {@code condition} every 10 ms until it holds; fails after {@code timeout}. */
  static void await(java.util.function.BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + timeout);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** A TCP endpoint address whose port has no listener: dials to it are refused. */
  static ServiceEndpoint refusingEndpoint(String ip) throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(ip))) {
      port = s.getLocalPort();
    }
    return new ServiceEndpoint(IpAddress.parse(ip), port, false, false);
  }

  @Override
  public void close() {
    backend.close();
  }
}
