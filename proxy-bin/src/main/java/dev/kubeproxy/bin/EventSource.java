package dev.kubeproxy.bin;

import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.kube.KubernetesSource;
import dev.kubeproxy.bin.kube.NodeEvents;
import dev.kubeproxy.bin.kube.ServiceUids;
import dev.kubeproxy.bin.manifest.ManifestSource;
import dev.kubeproxy.bin.manifest.ManifestWatch;
import dev.kubeproxy.model.ChangeTracker;
import java.io.IOException;
import java.time.Duration;

/**
 * Where a running proxy's Services, EndpointSlices, Node and ServiceCIDRs come from: a manifest directory
 * (fed once, then watched for edits unless running once) or the API server's informers.
 */
abstract class EventSource implements AutoCloseable {
  private static final Duration MANIFEST_POLL = Duration.ofMillis(500);

  /** Starts feeding {@code tracker}; {@code changed} runs after every change. */
  static EventSource start(
      EffectiveConfig config, ManifestSource manifests, ChangeTracker tracker, Runnable changed)
      throws IOException {
    return start(config, manifests, tracker, changed, NodeEvents.NONE, new ServiceUids());
  }

  /**
   * As {@link #start(EffectiveConfig, ManifestSource, ChangeTracker, Runnable)}; the API server
   * source records upstream's warning about a Service of another IP family through {@code events}
   * and keeps every Service's UID in {@code uids}.
   */
  static EventSource start(
      EffectiveConfig config, ManifestSource manifests, ChangeTracker tracker, Runnable changed,
      NodeEvents events, ServiceUids uids) throws IOException {
    if (manifests != null) {
      manifests.feed(tracker);
      ManifestWatch watch =
          config.once() || config.dryRun() ? null : manifests.watch(tracker, MANIFEST_POLL, changed);
      return new EventSource() {
        @Override
        boolean awaitInitialListing(Duration timeout) {
          return true;
        }

        @Override
        public void close() {
          if (watch != null) {
            watch.close();
          }
        }
      };
    }
    KubernetesSource source =
        KubernetesSource.start(
            KubernetesSource.apiClient(config.kubeconfig(), config.master()),
            tracker,
            config.proxy().nodeName(),
            changed,
            config::withBindAddress,
            config.proxy().families(),
            events,
            uids);
    return new EventSource() {
      @Override
      boolean awaitInitialListing(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!source.hasSynced()) {
          if (System.nanoTime() > deadline) {
            return false;
          }
          Thread.sleep(50);
        }
        return true;
      }

      @Override
      public void close() {
        source.close();
      }
    };
  }

  /** Waits until Services and EndpointSlices are both in the tracker; false on timeout. */
  abstract boolean awaitInitialListing(Duration timeout) throws InterruptedException;

  @Override
  public abstract void close();
}
