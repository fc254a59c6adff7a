package dev.kubeproxy.bin;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.backend.BackendProvider;
import dev.kubeproxy.api.backend.BackendStats;
import dev.kubeproxy.api.backend.SkippedPorts;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import dev.kubeproxy.bin.cli.TraceRequest;
import dev.kubeproxy.bin.config.BackendRegistry;
import dev.kubeproxy.bin.config.ConfigFileWatch;
import dev.kubeproxy.bin.config.ConfigWriter;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.config.ProxyMode;
import dev.kubeproxy.bin.kube.KubernetesNodeEvents;
import dev.kubeproxy.bin.kube.KubernetesSource;
import dev.kubeproxy.bin.kube.NodeEvents;
import dev.kubeproxy.bin.kube.ServiceUids;
import dev.kubeproxy.bin.kube.SkippedPortEvents;
import dev.kubeproxy.bin.manifest.ManifestSource;
import dev.kubeproxy.bin.manifest.ObjectOutcomes;
import dev.kubeproxy.bin.node.HostNodeFiles;
import dev.kubeproxy.bin.node.NodeFiles;
import dev.kubeproxy.bin.node.NodeSetup;
import dev.kubeproxy.bin.server.ProxyMetrics;
import dev.kubeproxy.bin.server.Servers;
import dev.kubeproxy.model.ChangeTracker;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.TableBuilder;
import dev.kubeproxy.model.conntrack.ConntrackCleaner;
import dev.kubeproxy.model.sync.ExecutorScheduler;
import dev.kubeproxy.model.sync.ServiceProxy;
import dev.kubeproxy.model.sync.SyncEvent;
import dev.kubeproxy.model.sync.SyncPeriods;
import dev.kubeproxy.model.trace.Packet;
import dev.kubeproxy.model.trace.Trace;
import dev.kubeproxy.userspace.UserspaceBackend;
import dev.kubeproxy.userspace.UserspaceProvider;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the binary meets the engine: builds the backend, the tracker and the sync engine from
 * an {@link EffectiveConfig}, feeds them from the manifests (or the API server), and runs one
 * sync ({@code --once}, {@code --dry-run}), a cleanup, or the sync loop until the process is
 * stopped. Also answers {@code trace}.
 */
public final class ProxyRunner {
  private static final Logger log = LoggerFactory.getLogger(ProxyRunner.class);
  private static final Duration INITIAL_LISTING_TIMEOUT = Duration.ofMinutes(2);
  private static final CommandRunner DRY_RUN_COMMANDS =
      command -> {
        throw new CommandException(command, "--dry-run runs no command", null);
      };

  private static final Duration CONFIG_FILE_POLL = Duration.ofSeconds(2);

  private final PrintWriter out;
  private final PrintWriter err;
  private final ImmutableList<IpAddress> userspaceBind;
  private final NodeFiles nodeFiles;

  /**
   * @param out where {@code --dry-run} and {@code trace} print their results
   * @param err where the one-line failure reason goes
   */
  public ProxyRunner(PrintWriter out, PrintWriter err) {
    this(out, err, List.of(), new HostNodeFiles());
  }

  /**
   * As {@link #ProxyRunner(PrintWriter, PrintWriter)}; a non-empty {@code userspaceBind}
   * ({@code --userspace-bind}) runs the userspace mode embedded on those addresses: no
   * privileges, no kernel rules.
   */
  public ProxyRunner(PrintWriter out, PrintWriter err, List<IpAddress> userspaceBind) {
    this(out, err, userspaceBind, new HostNodeFiles());
  }

  /** As {@link #ProxyRunner(PrintWriter, PrintWriter)}, with node setup writing to {@code nodeFiles}. */
  public ProxyRunner(PrintWriter out, PrintWriter err, NodeFiles nodeFiles) {
    this(out, err, List.of(), nodeFiles);
  }

  /** The runner with every dependency given. */
  public ProxyRunner(
      PrintWriter out, PrintWriter err, List<IpAddress> userspaceBind, NodeFiles nodeFiles) {
    this.out = out;
    this.err = err;
    this.userspaceBind = ImmutableList.copyOf(userspaceBind);
    this.nodeFiles = nodeFiles;
  }

  /**
   * Runs the proxy with {@code config}; {@code manifests} is the offline source (already
   * loaded once), or null to use the API server. Returns the process exit code.
   */
  public int run(EffectiveConfig config, ManifestSource manifests) {
    if (config.switches().writeConfigTo() != null) {
      return writeConfig(config);
    }
    if (config.switches().initOnly()) {
      // As upstream's --init-only: the setup that needs full root, then exit.
      return setUpNode(config, NodeEvents.NONE) ? 0 : 1;
    }
    NodeEvents events = NodeEvents.NONE;
    Optional<BackendProvider> provider =
        userspaceBind.isEmpty()
            ? BackendRegistry.provider(config.mode(), config.modeOptions())
            : Optional.of(UserspaceProvider.embedded(userspaceBind));
    if (provider.isEmpty()) {
      return fail("mode '" + config.mode().flagValue() + "' is not built into this version (built: "
          + BackendRegistry.builtModes() + ")");
    }
    // A dry run renders instead of applying, so its backend never runs a tool.
    CommandRunner commands = config.dryRun() ? DRY_RUN_COMMANDS : new ProcessCommandRunner();
    BackendContext context = BackendContext.ofHost(commands);
    Backend backend = provider.get().create(context);
    ProxyMetrics metrics = ProxyMetrics.create(config.mode().flagValue(), config.proxy().families());
    if (backend instanceof UserspaceBackend userspace) {
      metrics.attachUserspace(userspace);
    }
    if (backend instanceof BackendStats stats) {
      metrics.backendStats(stats);
    }
    if (config.cleanup()) {
      return cleanup(config, backend, context);
    }
    if (config.dryRun()) {
      backend = new DryRunBackend(backend, out);
    } else {
      Optional<String> problem = provider.get().preflight(context);
      if (problem.isPresent()) {
        return fail(problem.get());
      }
      // A long-running proxy tunes the node first, as upstream; --once only syncs, and the
      // userspace proxy embedded with --userspace-bind has no node to tune (no privileges).
      if (!config.once() && userspaceBind.isEmpty()) {
        events = nodeEvents(config);
        if (!setUpNode(config, events)) {
          return 1;
        }
      }
      if (userspaceBind.isEmpty()) {
        removeOtherModesLeftovers(config.mode(), context);
      }
    }
    ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
    AtomicReference<SyncEvent> lastSync = new AtomicReference<>();
    SyncListeners listeners = new SyncListeners();
    listeners.add(lastSync::set);
    listeners.add(metrics);
    ServiceUids serviceUids = new ServiceUids();
    if (backend instanceof SkippedPorts skipping) {
      // In API mode a port the backend cannot program is told to the Service's owner (issue 14).
      listeners.add(SkippedPortEvents.of(skipping, events, serviceUids));
    }
    try (ExecutorScheduler scheduler = ExecutorScheduler.singleThread("sync-proxy-rules")) {
      ServiceProxy proxy =
          ServiceProxy.builder(config.proxy(), tracker, backend, scheduler)
              .periods(new SyncPeriods(config.minSyncPeriod(), config.syncPeriod(), SyncPeriods.DEFAULTS.fullSyncPeriod()))
              // The userspace proxy carries its own flows: no DNAT entries to reconcile.
              .conntrackCleaner(config.dryRun() || backend instanceof UserspaceBackend
                  ? ConntrackCleaner.NONE : new ConntrackToolCleaner(commands, metrics))
              .listener(listeners)
              .build();
      listeners.add(event -> metrics.update(proxy.committedTables(), event.changedKeys()));
      Runnable changed =
          () -> {
            metrics.changeQueued(tracker.pendingServiceEvents(), tracker.pendingEndpointEvents());
            proxy.onChange();
          };
      try (EventSource source = EventSource.start(config, manifests, tracker, changed, events, serviceUids)) {
        if (config.once() || config.dryRun()) {
          if (!source.awaitInitialListing(INITIAL_LISTING_TIMEOUT)) {
            return fail("Services and EndpointSlices were not listed within " + INITIAL_LISTING_TIMEOUT);
          }
          int code = syncOnce(proxy, lastSync);
          if (config.dryRun() && manifests != null) {
            // stdout is the pure render; what became of each object goes to stderr.
            ObjectOutcomes outcomes = ObjectOutcomes.of(manifests.load(), config.proxy().nodeName());
            err.println(Main.NAME + ": manifests: " + outcomes.line());
            err.flush();
          }
          return code;
        }
        return runUntilStopped(config, proxy, metrics, listeners, changed, () -> nodeEligible(config, tracker), events);
      } catch (IOException e) {
        return fail(firstLine(e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return fail("interrupted while waiting for the initial listing");
      }
    }
  }

  private int syncOnce(ServiceProxy proxy, AtomicReference<SyncEvent> lastSync) {
    if (proxy.syncOnce()) {
      return 0;
    }
    SyncEvent event = lastSync.get();
    String reason = event == null || event.failure() == null ? "unknown" : event.failure().getMessage();
    return fail("sync failed: " + firstLine(reason));
  }

  private int runUntilStopped(
      EffectiveConfig config,
      ServiceProxy proxy,
      ProxyMetrics metrics,
      SyncListeners listeners,
      Runnable changed,
      BooleanSupplier nodeEligible,
      NodeEvents events) {
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean configChanged = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "shutdown"));
    try (Servers servers = Servers.start(config, proxy, metrics, events);
        ConfigFileWatch watch = watchConfigFile(config, () -> {
          configChanged.set(true);
          stopped.countDown();
        })) {
      listeners.add(event -> servers.serviceHealth().update(proxy.committedTables(), event.changedKeys()));
      listeners.add(event -> servers.nodeEligible(nodeEligible.getAsBoolean()));
      // The full sync's peak would otherwise stay committed heap (RSS) while the proxy idles.
      listeners.add(HeapTrim.start());
      proxy.start();
      events.record(NodeEvents.NORMAL, "Starting", NodeEvents.START, null);
      try {
        changed.run();
        log.info("syncing; stop with SIGTERM");
        stopped.await();
      } finally {
        proxy.stop();
      }
    } catch (IOException e) {
      return fail("cannot start a server: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // As upstream: a changed config file ends the process, to be restarted with the new one.
    return configChanged.get() ? fail(ConfigFileWatch.UPDATED) : 0;
  }

  private static ConfigFileWatch watchConfigFile(EffectiveConfig config, Runnable changed)
      throws IOException {
    return config.configFile() == null
        ? null
        : ConfigFileWatch.start(config.configFile(), CONFIG_FILE_POLL, changed);
  }

  /**
   * Events about this Node through the API server (none with manifests); the client is made
   * again by the event source, which reports a bad kubeconfig or master itself.
   */
  private static NodeEvents nodeEvents(EffectiveConfig config) {
    if (config.manifests() != null) {
      return NodeEvents.NONE;
    }
    try {
      return new KubernetesNodeEvents(
          KubernetesSource.apiClient(config.kubeconfig(), config.master()), config.proxy().nodeName(),
          Clock.systemUTC());
    } catch (IOException | RuntimeException e) {
      return NodeEvents.NONE;
    }
  }

  /** Node setup (oom_score_adj, conntrack sysctls); false, with the reason printed, when it fails. */
  private boolean setUpNode(EffectiveConfig config, NodeEvents events) {
    try {
      List<String> warnings = new NodeSetup(nodeFiles).apply(config.nodeSetup());
      if (warnings.contains(NodeSetup.READ_ONLY_SYS)) {
        // Upstream's event for a read-only /sys: reason readOnlySysFS.
        events.record(NodeEvents.WARNING, "readOnlySysFS", NodeEvents.START, "CRI error: " + NodeSetup.READ_ONLY_SYS);
      }
      return true;
    } catch (IOException e) {
      fail("node setup failed: " + e.getMessage());
      return false;
    }
  }

  private int writeConfig(EffectiveConfig config) {
    Path to = config.switches().writeConfigTo();
    try {
      Files.writeString(to, ConfigWriter.toYaml(config), StandardCharsets.UTF_8);
      log.info("Wrote configuration to {}", to);
      return 0;
    } catch (IOException e) {
      return fail("--write-config-to: cannot write " + to + ": " + e.getMessage());
    }
  }

  /**
   * Upstream's {@code nodeEligible}: false when this Node is being deleted or tainted for
   * deletion, and, with the API server as source, when it does not exist. A manifest directory
   * need not hold a Node.
   */
  private static boolean nodeEligible(EffectiveConfig config, ChangeTracker tracker) {
    Node node = tracker.node();
    if (node == null) {
      return config.manifests() != null;
    }
    return !node.beingDeleted();
  }

  /**
   * {@code --cleanup}: this mode's rules, then every other built mode's, as upstream's cleanup
   * removes all modes' state; fails when this mode's cleanup fails.
   */
  private int cleanup(EffectiveConfig config, Backend backend, BackendContext context) {
    try {
      backend.cleanup();
      log.info("removed the {} rules", backend.mode());
    } catch (SyncException e) {
      return fail("cleanup failed: " + firstLine(e.getMessage()));
    }
    for (BackendProvider other : BackendRegistry.others(config.mode())) {
      cleanUp(other, context);
    }
    return 0;
  }

  /**
   * As upstream's {@code platformCleanup} on start: nftables mode removes what the iptables-based
   * modes (iptables, ipvs) left behind, and they remove nftables' table; failures are logged.
   */
  private static void removeOtherModesLeftovers(ProxyMode mode, BackendContext context) {
    for (BackendProvider other : BackendRegistry.leftoversToRemove(mode)) {
      cleanUp(other, context);
    }
  }

  private static void cleanUp(BackendProvider provider, BackendContext context) {
    try {
      provider.create(context).cleanup();
      log.info("removed {} leftovers", provider.mode());
    } catch (SyncException | RuntimeException e) {
      log.warn("could not remove {} leftovers: {}", provider.mode(), firstLine(e.getMessage()));
    }
  }

  /** Prints what the model's trace says of {@code request} on the node {@code config} describes. */
  public int trace(EffectiveConfig config, ManifestSource manifests, TraceRequest request) {
    ChangeTracker tracker = new ChangeTracker(Clock.systemUTC());
    manifests.feed(tracker);
    ClusterSnapshot snapshot = tracker.drain().snapshot();
    ForwardingTable table =
        TableBuilder.build(request.destination().family(), snapshot, config.proxy());
    Packet packet =
        new Packet(
            request.source(),
            request.destination(),
            request.port(),
            request.protocol(),
            Packet.Origin.valueOf(request.origin().name()));
    out.println(Trace.of(table, packet).toText());
    out.flush();
    return 0;
  }

  private int fail(String reason) {
    err.println(Main.NAME + ": " + reason);
    err.flush();
    return 1;
  }

  private static String firstLine(String text) {
    String t = text == null ? "" : text.strip();
    int newline = t.indexOf('\n');
    return newline < 0 ? t : t.substring(0, newline);
  }
}
