package dev.kubeproxy.bin.manifest;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;
import dev.kubeproxy.model.ChangeTracker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offline source: a directory of manifests stands in for the API server. {@link #feed}
 * hands a {@link ChangeTracker} what changed since the previous feed (Services, EndpointSlices,
 * this node's Node, ServiceCIDRs), as informers would;
 * {@link #watch} re-feeds whenever a file changes. An object whose document now fails
 * validation keeps its previously fed version, as an API server rejects a bad update.
 */
public final class ManifestSource {
  private static final Logger log = LoggerFactory.getLogger(ManifestSource.class);

  private final Path directory;
  private final String nodeName;
  private final UnaryOperator<Node> nodeView;
  private final ManifestReader reader;

  // What the tracker holds now; guarded by this.
  private Map<NamespacedName, Service> fedServices = Map.of();
  private Map<NamespacedName, EndpointSlice> fedSlices = Map.of();
  private Node fedNode;
  private Map<String, ServiceCidr> fedServiceCidrs = Map.of();
  private boolean synced;
  private Map<Path, List<Long>> fedFingerprint;
  private ManifestSnapshot loaded;
  private Map<Path, List<Long>> loadedFingerprint;

  /**
   * @param directory the manifest directory
   * @param nodeName this proxy's node: the one Node object fed to the tracker
   */
  public ManifestSource(Path directory, String nodeName) {
    this(directory, nodeName, UnaryOperator.identity(), false);
  }

  /** A source whose Node is seen through {@code nodeView}; loopback endpoints refused. */
  public ManifestSource(Path directory, String nodeName, UnaryOperator<Node> nodeView) {
    this(directory, nodeName, nodeView, false);
  }

  /**
   * @param nodeView how this proxy sees its Node before the tracker gets it (e.g. a
   *     {@code --bind-address} replacing its primary IP)
   * @param allowLoopbackEndpoints admit loopback endpoint addresses, for the userspace proxy
   *     embedded on a workstation ({@code --userspace-bind}); the API server refuses them
   */
  public ManifestSource(Path directory, String nodeName, UnaryOperator<Node> nodeView,
      boolean allowLoopbackEndpoints) {
    this.directory = checkNotNull(directory, "directory");
    this.nodeName = checkNotNull(nodeName, "nodeName");
    this.nodeView = checkNotNull(nodeView, "nodeView");
    this.reader = allowLoopbackEndpoints
        ? ManifestReader.allowingLoopbackEndpoints() : ManifestReader.create();
  }

  public Path directory() {
    return directory;
  }

  /**
   * Reads the directory, logging one WARN line per problem; when no file's modification time
   * or size changed since the last read, returns that read again (so a startup check followed
   * by the first {@link #feed} logs problems once). Throws if the directory is unreadable.
   */
  public synchronized ManifestSnapshot load() {
    Map<Path, List<Long>> fingerprint = fingerprint();
    return fingerprint.equals(loadedFingerprint) ? loaded : read(fingerprint);
  }

  private ManifestSnapshot read(Map<Path, List<Long>> fingerprint) {
    checkArgument(Files.isDirectory(directory), "%s is not a directory", directory);
    ManifestSnapshot snapshot = reader.read(directory);
    for (ManifestProblem problem : snapshot.problems()) {
      log.warn("skipping {}", problem.describe());
    }
    loaded = snapshot;
    loadedFingerprint = fingerprint;
    return snapshot;
  }

  /**
   * Loads the directory and applies the difference from the previous feed to {@code tracker}:
   * upserts of new or changed objects, deletes of vanished ones, this node's Node when it
   * changed; after the first feed both sources are marked synced. Returns what was loaded.
   */
  public synchronized ManifestSnapshot feed(ChangeTracker tracker) {
    // Later feeds always re-read: an edit can keep a file's size within one clock tick.
    ManifestSnapshot snapshot = synced ? read(fingerprint()) : load();

    Map<NamespacedName, Service> services =
        kept(snapshot.services(), fedServices, snapshot.rejectedServices());
    feedDifference(services, fedServices, tracker::upsertServices, tracker::deleteService);

    Map<NamespacedName, EndpointSlice> slices =
        kept(snapshot.slices(), fedSlices, snapshot.rejectedSlices());
    feedDifference(slices, fedSlices, tracker::upsertEndpointSlices,
        tracker::deleteEndpointSlice);

    Map<String, ServiceCidr> serviceCidrs =
        kept(snapshot.serviceCidrs(), fedServiceCidrs, snapshot.rejectedServiceCidrs());
    feedDifference(serviceCidrs, fedServiceCidrs,
        cidrs -> cidrs.forEach(tracker::upsertServiceCidr), tracker::deleteServiceCidr);

    Node node = nodeView.apply(snapshot.node(nodeName));
    if (node == null && snapshot.rejectedNodes().contains(nodeName)) {
      node = fedNode;
    }
    if (!Objects.equals(node, fedNode)) {
      tracker.updateNode(node);
    }

    if (!synced) {
      tracker.markServicesSynced();
      tracker.markEndpointSlicesSynced();
      synced = true;
    }
    fedServices = services;
    fedSlices = slices;
    fedServiceCidrs = serviceCidrs;
    fedNode = node;
    fedFingerprint = loadedFingerprint;
    return snapshot;
  }

  /**
   * Starts a daemon thread that checks the files' modification times and sizes every
   * {@code interval} and, once a change has been stable for one interval, feeds
   * {@code tracker} and runs {@code afterFeed} (e.g. to request a sync). Close the result to
   * stop it.
   */
  public ManifestWatch watch(ChangeTracker tracker, Duration interval, Runnable afterFeed) {
    checkNotNull(tracker, "tracker");
    checkNotNull(afterFeed, "afterFeed");
    checkArgument(!interval.isNegative() && !interval.isZero(), "interval must be positive");
    return ManifestWatch.start(this, tracker, interval, afterFeed);
  }

  /** Whether {@code fingerprint} differs from the files as of the last feed. */
  synchronized boolean changedSinceFeed(Map<Path, List<Long>> fingerprint) {
    return !fingerprint.equals(fedFingerprint);
  }

  /** Each manifest file's modification time (ns) and size; a change in any means re-read. */
  Map<Path, List<Long>> fingerprint() {
    Map<Path, List<Long>> result = new HashMap<>();
    for (Path file : ManifestReader.manifestFiles(directory)) {
      try {
        long modified = Files.getLastModifiedTime(file).to(TimeUnit.NANOSECONDS);
        result.put(file, List.of(modified, Files.size(file)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return result;
  }

  /**
   * Upserts, as one batch, each object of {@code next} that is new or differs from {@code fed},
   * then deletes each id {@code fed} has and {@code next} lacks.
   */
  private static <K, V> void feedDifference(
      Map<K, V> next,
      Map<K, V> fed,
      Consumer<List<V>> upsertAll,
      Consumer<K> delete) {
    List<V> upserts = new ArrayList<>();
    for (Map.Entry<K, V> e : next.entrySet()) {
      if (!e.getValue().equals(fed.get(e.getKey()))) {
        upserts.add(e.getValue());
      }
    }
    if (!upserts.isEmpty()) {
      upsertAll.accept(upserts);
    }
    for (K gone : fed.keySet()) {
      if (!next.containsKey(gone)) {
        delete.accept(gone);
      }
    }
  }

  private static <K, V> Map<K, V> kept(
      ImmutableMap<K, V> loaded, Map<K, V> previous, Set<K> rejected) {
    Map<K, V> result = new LinkedHashMap<>(loaded);
    for (K id : rejected) {
      V old = previous.get(id);
      if (old != null) {
        result.putIfAbsent(id, old);
      }
    }
    return result;
  }
}
