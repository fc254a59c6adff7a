package dev.kubeproxy.bin.kube;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Strings.isNullOrEmpty;

import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.model.ChangeTracker;
import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.impl.DefaultSharedIndexInformer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.DiscoveryV1Api;
import io.kubernetes.client.openapi.apis.NetworkingV1Api;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1EndpointSliceList;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceCIDR;
import io.kubernetes.client.openapi.models.V1ServiceCIDRList;
import io.kubernetes.client.openapi.models.V1ServiceList;
import io.kubernetes.client.util.CallGenerator;
import io.kubernetes.client.util.CallGeneratorParams;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API server as a source: informers (list, then watch from the listed resourceVersion;
 * relist after 410 Gone; retry after connection loss) for Services, EndpointSlices, this
 * proxy's own Node and the networking.k8s.io/v1 ServiceCIDRs, feeding a {@link ChangeTracker}
 * and calling {@code onChange} after every event that reached it. ServiceCIDRs do not hold
 * back the first sync (a cluster older than v1.33 serves none; their arrival is a facts change
 * and a full sync); a Service with addresses of a family this proxy does not handle gets
 * upstream's warning event ({@link IpFamilyWarnings}). Marks Services and EndpointSlices synced
 * in the tracker once each informer's initial list has been fed, so nothing is programmed from
 * half a cluster. While the
 * API server is unreachable the tracker keeps what it had, so the rules stay; after a relist
 * only real differences reach the tracker.
 */
public final class KubernetesSource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);

  /**
   * What upstream selects Services and EndpointSlices by: objects another proxy claims and
   * headless services' objects are never even received.
   */
  public static final String LABEL_SELECTOR =
      "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless";

  /** How long a list may take before it counts as failed (watches have their own limit). */
  static final Duration LIST_READ_TIMEOUT = Duration.ofSeconds(60);

  private static final long SYNC_POLL_MILLIS = 20;

  private final ChangeTracker tracker;
  private final Runnable onChange;
  private final Informed<V1Service> services;
  private final Informed<V1EndpointSlice> slices;
  private final Informed<V1Node> node;
  private final Informed<V1ServiceCIDR> serviceCidrs;
  private final ScheduledExecutorService syncGate;
  private volatile boolean closed;
  // Written by the sync gate thread only.
  private volatile boolean servicesSynced;
  private volatile boolean slicesSynced;
  private volatile boolean nodeSynced;
  private volatile boolean serviceCidrsSynced;

  private KubernetesSource(
      ApiClient client, ChangeTracker tracker, String nodeName, Runnable onChange, Backoff backoff,
      UnaryOperator<Node> nodeView, IpFamilyWarnings warnings, ServiceUids uids) {
    this.tracker = tracker;
    this.onChange = onChange;
    CoreV1Api core = new CoreV1Api(client);
    DiscoveryV1Api discovery = new DiscoveryV1Api(client);
    services =
        new Informed<>(
            "Service",
            client,
            p ->
                core.listServiceForAllNamespaces()
                    .labelSelector(LABEL_SELECTOR)
                    .resourceVersion(p.resourceVersion)
                    .timeoutSeconds(p.timeoutSeconds)
                    .watch(p.watch)
                    .allowWatchBookmarks(bookmarks(p))
                    .buildCall(null),
            V1Service.class,
            V1ServiceList.class,
            backoff,
            ObjectFeed.Sink.of(
                s -> {
                  Service service = KubernetesConverter.service(s);
                  tracker.upsertService(service);
                  uids.seen(service.id(), s.getMetadata().getUid());
                  warnings.check(service, s.getMetadata().getUid());
                },
                s -> {
                  tracker.deleteService(id(s.getMetadata()));
                  uids.gone(id(s.getMetadata()));
                  warnings.forget(id(s.getMetadata()));
                }));
    slices =
        new Informed<>(
            "EndpointSlice",
            client,
            p ->
                discovery
                    .listEndpointSliceForAllNamespaces()
                    .labelSelector(LABEL_SELECTOR)
                    .resourceVersion(p.resourceVersion)
                    .timeoutSeconds(p.timeoutSeconds)
                    .watch(p.watch)
                    .allowWatchBookmarks(bookmarks(p))
                    .buildCall(null),
            V1EndpointSlice.class,
            V1EndpointSliceList.class,
            backoff,
            ObjectFeed.Sink.of(
                s -> tracker.upsertEndpointSlice(KubernetesConverter.endpointSlice(s)),
                s -> tracker.deleteEndpointSlice(id(s.getMetadata()))));
    node =
        new Informed<>(
            "Node",
            client,
            p ->
                core.listNode()
                    .fieldSelector("metadata.name=" + nodeName)
                    .resourceVersion(p.resourceVersion)
                    .timeoutSeconds(p.timeoutSeconds)
                    .watch(p.watch)
                    .allowWatchBookmarks(bookmarks(p))
                    .buildCall(null),
            V1Node.class,
            V1NodeList.class,
            backoff,
            ObjectFeed.Sink.of(
                n -> tracker.updateNode(nodeView.apply(KubernetesConverter.node(n))),
                n -> tracker.updateNode(null)));
    NetworkingV1Api networking = new NetworkingV1Api(client);
    serviceCidrs =
        new Informed<>(
            "ServiceCIDR",
            client,
            p ->
                networking
                    .listServiceCIDR()
                    .resourceVersion(p.resourceVersion)
                    .timeoutSeconds(p.timeoutSeconds)
                    .watch(p.watch)
                    .allowWatchBookmarks(bookmarks(p))
                    .buildCall(null),
            V1ServiceCIDR.class,
            V1ServiceCIDRList.class,
            backoff,
            ObjectFeed.Sink.of(
                c -> tracker.upsertServiceCidr(KubernetesConverter.serviceCidr(c)),
                c -> tracker.deleteServiceCidr(c.getMetadata().getName())));
    syncGate =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "kubernetes-source-sync");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts watching the API server {@code client} talks to on behalf of node {@code nodeName}.
   * {@code onChange} runs on informer threads after each change fed to {@code tracker} and
   * after each sync mark; it must be quick (typically: ask the sync loop to run).
   */
  public static KubernetesSource start(
      ApiClient client, ChangeTracker tracker, String nodeName, Runnable onChange) {
    return start(client, tracker, nodeName, onChange, Backoff.DEFAULT_PROTOTYPE, UnaryOperator.identity());
  }

  /**
   * As {@link #start(ApiClient, ChangeTracker, String, Runnable)}, with {@code nodeView} applied
   * to this proxy's Node before the tracker gets it (e.g. a {@code --bind-address} replacing its
   * primary IP).
   */
  public static KubernetesSource start(
      ApiClient client, ChangeTracker tracker, String nodeName, Runnable onChange,
      UnaryOperator<Node> nodeView) {
    return start(client, tracker, nodeName, onChange, Backoff.DEFAULT_PROTOTYPE, nodeView);
  }

  static KubernetesSource start(
      ApiClient client, ChangeTracker tracker, String nodeName, Runnable onChange, Backoff backoff) {
    return start(client, tracker, nodeName, onChange, backoff, UnaryOperator.identity());
  }

  /**
   * As {@link #start(ApiClient, ChangeTracker, String, Runnable, UnaryOperator)}; a Service with
   * addresses of none of {@code families} (or some addresses of another) gets upstream's warning
   * event through {@code events}; every Service's UID is kept in {@code uids} while the source
   * holds it.
   */
  public static KubernetesSource start(
      ApiClient client, ChangeTracker tracker, String nodeName, Runnable onChange,
      UnaryOperator<Node> nodeView, Set<IpFamily> families, NodeEvents events, ServiceUids uids) {
    return start(client, tracker, nodeName, onChange, Backoff.DEFAULT_PROTOTYPE, nodeView,
        new IpFamilyWarnings(families, events), uids);
  }

  static KubernetesSource start(
      ApiClient client, ChangeTracker tracker, String nodeName, Runnable onChange, Backoff backoff,
      UnaryOperator<Node> nodeView) {
    return start(client, tracker, nodeName, onChange, backoff, nodeView,
        new IpFamilyWarnings(EnumSet.allOf(IpFamily.class), NodeEvents.NONE), new ServiceUids());
  }

  static KubernetesSource start(
      ApiClient client, ChangeTracker tracker, String nodeName, Runnable onChange, Backoff backoff,
      UnaryOperator<Node> nodeView, IpFamilyWarnings warnings, ServiceUids uids) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(tracker, "tracker");
    checkArgument(!isNullOrEmpty(nodeName), "nodeName must not be empty");
    Objects.requireNonNull(onChange, "onChange");
    KubernetesSource source =
        new KubernetesSource(client, tracker, nodeName, onChange, backoff,
            Objects.requireNonNull(nodeView), Objects.requireNonNull(warnings),
            Objects.requireNonNull(uids));
    source.services.informer.run();
    source.slices.informer.run();
    source.node.informer.run();
    source.serviceCidrs.informer.run();
    source.syncGate.scheduleWithFixedDelay(
        source::checkSynced, 0, SYNC_POLL_MILLIS, TimeUnit.MILLISECONDS);
    return source;
  }

  /**
   * A client for the API server, chosen as upstream does: the kubeconfig file when given (its
   * server replaced by {@code master} when that is given too), else {@code master} alone (no
   * credentials), else the in-cluster service account. Empty strings count as absent.
   */
  public static ApiClient apiClient(String kubeconfig, String master) throws IOException {
    ClientBuilder builder;
    if (!isNullOrEmpty(kubeconfig)) {
      Path path = Path.of(kubeconfig);
      KubeConfig config;
      try (Reader reader = Files.newBufferedReader(path)) {
        config = KubeConfig.loadKubeConfig(reader);
      }
      // Relative certificate and key paths in the file are relative to the file.
      config.setFile(path.toAbsolutePath().toFile());
      builder = ClientBuilder.kubeconfig(config);
      if (!isNullOrEmpty(master)) {
        builder.setBasePath(master);
      }
    } else if (!isNullOrEmpty(master)) {
      builder = new ClientBuilder().setBasePath(master);
    } else {
      if (isNullOrEmpty(System.getenv("KUBERNETES_SERVICE_HOST"))
          || isNullOrEmpty(System.getenv("KUBERNETES_SERVICE_PORT"))) {
        throw new IOException(
            "not running in a cluster (KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT unset):"
                + " pass --kubeconfig or --master");
      }
      builder = ClientBuilder.cluster();
    }
    return builder.setReadTimeout(LIST_READ_TIMEOUT).build();
  }

  /** True once the Service and EndpointSlice informers' initial lists reached the tracker. */
  public boolean hasSynced() {
    return servicesSynced && slicesSynced;
  }

  /** Stops the informers; the tracker keeps its state. */
  @Override
  public void close() {
    closed = true;
    syncGate.shutdownNow();
    services.informer.stop();
    slices.informer.stop();
    node.informer.stop();
    serviceCidrs.informer.stop();
  }

  private void checkSynced() {
    boolean marked = false;
    if (!servicesSynced && services.catchUp()) {
      tracker.markServicesSynced();
      servicesSynced = true;
      marked = true;
    }
    if (!slicesSynced && slices.catchUp()) {
      tracker.markEndpointSlicesSynced();
      slicesSynced = true;
      marked = true;
    }
    if (!nodeSynced && node.catchUp()) {
      nodeSynced = true;
    }
    if (!serviceCidrsSynced && serviceCidrs.catchUp()) {
      serviceCidrsSynced = true;
    }
    if (marked) {
      onChange.run();
    }
    if (servicesSynced && slicesSynced && nodeSynced && serviceCidrsSynced) {
      syncGate.shutdown();
    }
  }

  private static Boolean bookmarks(CallGeneratorParams params) {
    return Boolean.TRUE.equals(params.watch) ? Boolean.TRUE : null;
  }

  private static NamespacedName id(V1ObjectMeta meta) {
    Objects.requireNonNull(meta, "metadata");
    return NamespacedName.of(meta.getNamespace(), meta.getName());
  }

  /**
   * One resource's informer with the feed that hands its events to the tracker; reports its
   * failures through {@link #reportFailure} and calls the source's {@code onChange}.
   */
  private final class Informed<T extends KubernetesObject> {
    final String kind;
    final SharedIndexInformer<T> informer;
    final ObjectFeed<T> feed;

    <L extends KubernetesListObject> Informed(
        String kind,
        ApiClient client,
        CallGenerator calls,
        Class<T> type,
        Class<L> listType,
        Backoff backoff,
        ObjectFeed.Sink<T> sink) {
      this.kind = kind;
      DecodeProblems problems = new DecodeProblems();
      this.feed = new ObjectFeed<>(kind, sink, onChange, problems);
      this.informer =
          new DefaultSharedIndexInformer<T, L>(
              type,
              new ListWatch<>(client, calls, type, listType, backoff.copy(), problems),
              0L, // no periodic resync: every object is fed when it changes
              new io.kubernetes.client.informer.cache.Cache<>(),
              (t, e) -> reportFailure(kind, e));
      informer.addEventHandler(feed);
    }

    /**
     * Whether the informer has synced; if so, feeds whatever of its cache the handler has not
     * fed yet, so that the tracker holds the whole initial list before it is marked synced.
     */
    boolean catchUp() {
      if (!informer.hasSynced()) {
        return false;
      }
      List<T> cached = informer.getIndexer().list();
      feed.replay(cached);
      log.info("{}s synced: {} objects", kind, cached.size());
      return true;
    }
  }

  private void reportFailure(String kind, Throwable e) {
    // Closing cuts the open watches, which the client reports as failures.
    if (!closed) {
      log.warn("{} list/watch failed, retrying: {}", kind, describe(e));
    }
  }

  private static String describe(Throwable e) {
    if (e instanceof ApiException api && api.getCode() != 0) {
      return "HTTP " + api.getCode() + " " + Objects.toString(api.getMessage(), "");
    }
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    return cause.toString();
  }
}
