package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendStats;
import dev.kubeproxy.api.backend.SkippedPorts;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.kit.BackendCompiler;
import dev.kubeproxy.api.backend.kit.KitBackend;
import dev.kubeproxy.nftables.NftKernel;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The userspace backend (mode {@code userspace}): the proxy carries every connection itself.
 * It is the backend kit ({@link KitBackend}) around {@link UserspaceCompiler}, whose
 * transactions are listener operations, and {@link ProxyKernel}, which applies them to the
 * in-process proxy (real and fake at once: it needs no privileges). Embedded ({@link
 * #embedded}) it has no kernel rules at all and tells the embedder where each service port
 * listens ({@link #localAddresses()}); on a node ({@link #node}) it also writes redirect rules
 * in its own nftables table.
 *
 * <p>A sync that could not bind some listener applies everything else and then fails, naming
 * them; the next (full) sync retries them. A service port the compiler cannot compile is
 * skipped as in every kit backend, and {@link #metrics()} exports the kit's skipped-port metrics.
 */
public final class UserspaceBackend implements Backend, BackendStats, SkippedPorts, AutoCloseable {
  public static final String MODE = "userspace";
  private static final Logger log = LoggerFactory.getLogger(UserspaceBackend.class);

  private final UserspaceProxy proxy;
  private final ProxyKernel kernel;
  private final KitBackend<UserspaceState, UserspaceTransaction, OpenListeners> kit;

  private UserspaceBackend(
      UserspaceCompiler compiler, NftKernel rules, UserspaceConfig config, LongSupplier nanoClock) {
    this.proxy = new UserspaceProxy(config, nanoClock);
    this.kernel = new ProxyKernel(proxy, rules);
    this.kit = new KitBackend<>(MODE, compiler, kernel, nanoClock);
  }

  private UserspaceBackend(
      BackendCompiler<UserspaceState, UserspaceTransaction, OpenListeners> compiler,
      Listeners listeners, NftKernel rules, LongSupplier nanoClock) {
    this.proxy = new UserspaceProxy(UserspaceConfig.defaults().withThreads(1), nanoClock);
    this.kernel = new ProxyKernel(listeners, rules);
    this.kit = new KitBackend<>(MODE, compiler, kernel, nanoClock);
  }

  /**
   * Node mode whose listeners live in {@code listeners} rather than in this process (tests run
   * them in the lab's node namespace); {@link #localAddresses()} and {@link #traffic()} are then
   * empty.
   */
  static UserspaceBackend node(Listeners listeners, NftKernel rules, PortRange ports, LongSupplier nanoClock) {
    return node(UserspaceCompiler.node(ports), listeners, rules, nanoClock);
  }

  /** {@link #node(Listeners, NftKernel, PortRange, LongSupplier)} with another compiler (tests). */
  static UserspaceBackend node(
      BackendCompiler<UserspaceState, UserspaceTransaction, OpenListeners> compiler,
      Listeners listeners, NftKernel rules, LongSupplier nanoClock) {
    return new UserspaceBackend(compiler, listeners, rules, nanoClock);
  }

  /** Embedded on {@code bindAddresses} (e.g. 127.0.0.1), ephemeral ports, default config. */
  public static UserspaceBackend embedded(List<IpAddress> bindAddresses) {
    return embedded(EmbeddedPlan.ephemeral(bindAddresses), UserspaceConfig.defaults());
  }

  /** Embedded with {@code plan}'s listeners and no kernel rules: needs no privileges. */
  public static UserspaceBackend embedded(ListenerPlan plan, UserspaceConfig config) {
    return embedded(plan, config, System::nanoTime);
  }

  /** {@link #embedded(ListenerPlan, UserspaceConfig)} on {@code nanoClock} (affinity timeouts). */
  public static UserspaceBackend embedded(ListenerPlan plan, UserspaceConfig config, LongSupplier nanoClock) {
    return new UserspaceBackend(UserspaceCompiler.embedded(plan), null, config, nanoClock);
  }

  /**
   * On a node: listeners on ports of {@code ports} and redirect rules in table {@code
   * kube-proxy-userspace} written through {@code rules} (a {@code RealNftKernel} needs root).
   */
  public static UserspaceBackend node(
      NftKernel rules, PortRange ports, UserspaceConfig config, LongSupplier nanoClock) {
    return new UserspaceBackend(UserspaceCompiler.node(ports), rules, config, nanoClock);
  }

  @Override
  public String mode() {
    return MODE;
  }

  @Override
  public synchronized SyncResult sync(SyncRequest request) throws SyncException {
    return kit.sync(request);
  }

  /**
   * What a sync of {@code request} would do, one line per listener operation ({@code open
   * default/web:http/TCP INTERNAL on 127.0.0.1:0 -> 10.244.1.10:8080}), then in node mode the
   * {@code nft -f -} input; nothing is opened or written.
   */
  @Override
  public synchronized String render(SyncRequest request) throws SyncException {
    return kit.render(request);
  }

  /** Closes every listener and cuts every connection; in node mode also deletes the redirect tables. */
  @Override
  public synchronized void cleanup() throws SyncException {
    kit.cleanup();
  }

  /** Closes every listener (and in node mode removes the redirect rules), logging a failure. */
  @Override
  public void close() {
    try {
      cleanup();
    } catch (SyncException e) {
      log.warn("cleanup failed: {}", e.getMessage());
    }
  }

  /** Where each service port listens now (several addresses with several bind addresses). */
  public ImmutableMap<ServicePortKey, ImmutableList<InetSocketAddress>> localAddresses() {
    return proxy.localAddresses();
  }

  /** A local address of {@code key}'s listeners (IPv4 first), if it has one. */
  public Optional<InetSocketAddress> localAddress(ServicePortKey key) {
    ImmutableList<InetSocketAddress> addresses = proxy.localAddresses().get(key);
    if (addresses == null || addresses.isEmpty()) {
      return Optional.empty();
    }
    for (InetSocketAddress a : addresses) {
      if (a.getAddress() instanceof Inet4Address) {
        return Optional.of(a);
      }
    }
    return Optional.of(addresses.get(0));
  }

  /** {@link #localAddresses()} as JSON (see {@link LocalAddressesJson}). */
  public String localAddressesJson() {
    return LocalAddressesJson.render(localAddresses());
  }

  /** Per-service-port traffic counters, read-only. */
  public UserspaceMetrics traffic() {
    return proxy;
  }

  /**
   * The kit's skipped-port metrics ({@link KitBackend#SKIPPED_TOTAL}, {@link KitBackend#SKIPPED}),
   * which the binary exports as for every other backend; the traffic counters are {@link #traffic()}.
   */
  @Override
  public ImmutableList<Metric> metrics() {
    return kit.metrics();
  }

  /** The ports skipped now in {@code family}, each with the reason its compile failed. */
  @Override
  public ImmutableSortedMap<ServicePortKey, String> skipped(IpFamily family) {
    return kit.skipped(family);
  }

  /** The kit this backend drives (tests run the shared kit scenarios on it). */
  KitBackend<UserspaceState, UserspaceTransaction, OpenListeners> kit() {
    return kit;
  }

  /** What was committed for {@code family}, or null when the next sync will be full. */
  UserspaceState committed(IpFamily family) {
    return kit.committed(family);
  }
}
