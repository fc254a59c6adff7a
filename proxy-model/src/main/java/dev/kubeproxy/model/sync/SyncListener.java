package dev.kubeproxy.model.sync;

/**
 * Observes sync attempts (the metrics hook). Called on the sync thread after each attempt that
 * reached the backend or failed before it; must be quick and must not throw.
 */
@FunctionalInterface
public interface SyncListener {
  SyncListener NONE = event -> {};

  void onSync(SyncEvent event);
}
