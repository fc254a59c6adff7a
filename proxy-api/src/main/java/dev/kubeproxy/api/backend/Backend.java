package dev.kubeproxy.api.backend;

/**
 * Turns forwarding-table changes into kernel changes. Implementations compile a change into a
 * structured transaction, render it for the kernel tool and apply it through a kernel
 * interface that has a real and an in-memory implementation (DESIGN §6); most are built from
 * the backend kit ({@link dev.kubeproxy.api.backend.kit.KitBackend}). Not thread-safe: the sync
 * engine calls it from one thread.
 */
public interface Backend {
  /** The proxy mode this backend implements, e.g. {@code nftables}. */
  String mode();

  /**
   * Programs the kernel to match {@code request}'s next tables. On failure the kernel keeps
   * its previous state and the caller must make the next sync full.
   */
  SyncResult sync(SyncRequest request) throws SyncException;

  /**
   * The exact text the kernel tool would be sent to carry out {@code request}, compiled from
   * what this backend has committed, with every kernel read answered as a node that holds
   * nothing of this backend's. Touches neither the kernel nor the committed state: on a new
   * backend, the render of a full request is what {@code --dry-run} prints.
   */
  String render(SyncRequest request) throws SyncException;

  /**
   * Whether what this backend committed is still in the kernel, checked cheaply (upstream's
   * canary monitor): the sync engine calls it every syncPeriod between syncs. A backend that
   * finds its rules gone (a firewall reload flushed them) forgets its state and returns false,
   * and the engine then runs a full sync at once. Backends without such a check keep the
   * default, true.
   */
  default boolean intact() throws SyncException {
    return true;
  }

  /** Removes everything this backend owns from the kernel (for {@code --cleanup}). */
  void cleanup() throws SyncException;
}
