package dev.kubeproxy.api.backend.kit;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendStats;
import dev.kubeproxy.api.backend.SkippedPorts;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every backend shares (DESIGN §6): per IP family the state it committed, so partial
 * syncs never read the kernel; a kernel read only before a full compile; all families applied
 * together; on any failure everything is forgotten and the next sync is full; and a render of
 * the same compile for {@code --dry-run}. A backend supplies only its {@link BackendCompiler}
 * and {@link BackendKernel}, and either extends this class (naming its mode and parts in the
 * constructor) or wraps it when it adds to a sync (statistics, canaries).
 *
 * <p>A service port whose compile throws is skipped, not the sync ({@link PortIsolation}): one
 * WARN names the port and the reason when it starts being skipped (or the reason changes), the
 * rest is programmed, and {@link #metrics()} counts it ({@value #SKIPPED_TOTAL}, and {@value
 * #SKIPPED} for the ports skipped now).
 */
public class KitBackend<S, T extends KernelTransaction, X> implements Backend, BackendStats, SkippedPorts {
  /** Counter: how many times a service port started being skipped (or was skipped for a new reason). */
  public static final String SKIPPED_TOTAL = "kubeproxy_sync_proxy_rules_service_ports_skipped_total";
  /** Gauge: the service ports the last sync left out of the kernel because they do not compile. */
  public static final String SKIPPED = "kubeproxy_sync_proxy_rules_service_ports_skipped";

  private static final Logger log = LoggerFactory.getLogger(KitBackend.class);

  private final String mode;
  private final BackendCompiler<S, T, X> compiler;
  private final BackendKernel<T, X> kernel;
  private final LongSupplier nanoClock;
  private final Map<IpFamily, S> committed = new EnumMap<>(IpFamily.class);
  // Per family, the ports the committed state leaves out, with the reason; always set with it.
  private final Map<IpFamily, ImmutableSortedMap<ServicePortKey, String>> skipped =
      new EnumMap<>(IpFamily.class);
  private final Map<IpFamily, AtomicLong> skippedTotal = new EnumMap<>(IpFamily.class);
  private volatile Map<IpFamily, Integer> skippedNow = Map.of();

  public KitBackend(
      String mode, BackendCompiler<S, T, X> compiler, BackendKernel<T, X> kernel,
      LongSupplier nanoClock) {
    this.mode = Objects.requireNonNull(mode);
    this.compiler = Objects.requireNonNull(compiler);
    this.kernel = Objects.requireNonNull(kernel);
    this.nanoClock = Objects.requireNonNull(nanoClock);
    for (IpFamily f : IpFamily.values()) {
      skippedTotal.put(f, new AtomicLong());
    }
  }

  @Override
  public String mode() {
    return mode;
  }

  @Override
  public SyncResult sync(SyncRequest request) throws SyncException {
    Map<IpFamily, S> next = new EnumMap<>(IpFamily.class);
    Map<IpFamily, ImmutableSortedMap<ServicePortKey, String>> nextSkipped = new EnumMap<>(IpFamily.class);
    Map<IpFamily, T> transactions;
    try {
      transactions = compile(request, next, nextSkipped, true);
    } catch (KernelException | RuntimeException e) {
      forgetAll();
      throw new SyncException(
          "cannot compile " + mode + " rules: " + e.getMessage(), e);
    }
    int operations = 0;
    for (T t : transactions.values()) {
      operations += t.size();
    }
    long bytes = 0;
    if (operations > 0) {
      try {
        bytes = kernel.apply(transactions);
      } catch (KernelException | RuntimeException e) {
        forgetAll();
        throw new SyncException(e.getMessage(), e);
      }
    }
    committed.putAll(next);
    nextSkipped.forEach(this::commitSkipped);
    return new SyncResult(operations, (int) Math.min(Integer.MAX_VALUE, bytes));
  }

  @Override
  public String render(SyncRequest request) throws SyncException {
    try {
      Map<IpFamily, ImmutableSortedMap<ServicePortKey, String>> left = new EnumMap<>(IpFamily.class);
      String text = compiler.render(compile(request, new EnumMap<>(IpFamily.class), left, false));
      left.forEach((family, ports) -> ports.forEach((key, reason) -> warn(family, key, reason)));
      return text;
    } catch (KernelException | RuntimeException e) {
      throw new SyncException("cannot compile " + mode + " rules: " + e.getMessage(), e);
    }
  }

  /**
   * Compiles every family of {@code request}, putting the states it leads to in {@code next} and
   * the ports left out of them in {@code nextSkipped}.
   */
  private Map<IpFamily, T> compile(
      SyncRequest request, Map<IpFamily, S> next,
      Map<IpFamily, ImmutableSortedMap<ServicePortKey, String>> nextSkipped, boolean readKernel)
      throws KernelException {
    long now = nanoClock.getAsLong();
    Map<IpFamily, T> transactions = new EnumMap<>(IpFamily.class);
    for (TableChange change : request.changes()) {
      S before = committed.get(change.family());
      X existing = readKernel && compiler.compilesFully(change, request.full(), before)
          ? kernel.read(change.family())
          : compiler.nothingInstalled(change.family());
      PortIsolation.Outcome<S, T> outcome = PortIsolation.compile(
          compiler, change, request.full(), before, existing, now,
          before == null ? ImmutableSortedMap.of() : skipped(change.family()));
      transactions.put(change.family(), outcome.compiled().transaction());
      next.put(change.family(), outcome.compiled().state());
      nextSkipped.put(change.family(), outcome.skipped());
    }
    return transactions;
  }

  /** Records {@code ports} as {@code family}'s skipped ports, warning about each new one. */
  private void commitSkipped(IpFamily family, ImmutableSortedMap<ServicePortKey, String> ports) {
    ImmutableSortedMap<ServicePortKey, String> before = skipped(family);
    ports.forEach((key, reason) -> {
      if (!reason.equals(before.get(key))) {
        warn(family, key, reason);
        skippedTotal.get(family).incrementAndGet();
      }
    });
    skipped.put(family, ports);
    publishSkipped();
  }

  private void warn(IpFamily family, ServicePortKey key, String reason) {
    log.warn("{} {}: service port {} ({}) is skipped, the other service ports are programmed: {}",
        mode, family, key, key.protocol(), reason);
  }

  /**
   * Forgets every family's committed state so the next sync is full. The skipped ports are kept:
   * that sync finds them again, and a port skipped for the same reason is not warned about twice.
   */
  private void forgetAll() {
    committed.clear();
  }

  private void publishSkipped() {
    Map<IpFamily, Integer> now = new EnumMap<>(IpFamily.class);
    skipped.forEach((family, ports) -> now.put(family, ports.size()));
    skippedNow = Map.copyOf(now);
  }

  /**
   * The service ports {@code family}'s last successful sync left out of the kernel because their
   * compile failed, each with the reason; empty when none (or nothing was synced).
   */
  @Override
  public ImmutableSortedMap<ServicePortKey, String> skipped(IpFamily family) {
    ImmutableSortedMap<ServicePortKey, String> ports = skipped.get(family);
    return ports == null ? ImmutableSortedMap.of() : ports;
  }

  /** {@value #SKIPPED_TOTAL} and {@value #SKIPPED}, labelled {@code ip_family} as upstream's metrics are. */
  @Override
  public ImmutableList<Metric> metrics() {
    ImmutableList.Builder<Sample> total = ImmutableList.builder();
    ImmutableList.Builder<Sample> now = ImmutableList.builder();
    Map<IpFamily, Integer> current = skippedNow;
    for (IpFamily f : IpFamily.values()) {
      ImmutableMap<String, String> labels = ImmutableMap.of("ip_family", f.kubernetesName());
      total.add(new Sample(labels, skippedTotal.get(f).get()));
      now.add(new Sample(labels, current.getOrDefault(f, 0)));
    }
    return ImmutableList.of(
        new Metric(SKIPPED_TOTAL, "Service ports the backend skipped because they do not compile (each time one starts being skipped)", Type.COUNTER, total.build()),
        new Metric(SKIPPED, "Service ports left out of the kernel by the last sync because they do not compile", Type.GAUGE, now.build()));
  }

  @Override
  public void cleanup() throws SyncException {
    committed.clear();
    try {
      kernel.cleanup();
    } catch (KernelException e) {
      throw new SyncException(e.getMessage(), e);
    }
  }

  /**
   * Forgets what was committed for {@code family}, so its next sync is full: for when the
   * backend learns that someone else changed its rules (a firewall reload flushed them).
   */
  public void forget(IpFamily family) {
    committed.remove(family);
  }

  /** What was committed for {@code family}, or null when its next sync will be full. */
  public S committed(IpFamily family) {
    return committed.get(family);
  }
}
