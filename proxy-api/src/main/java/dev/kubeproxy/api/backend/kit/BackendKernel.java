package dev.kubeproxy.api.backend.kit;

import dev.kubeproxy.api.IpFamily;
import java.util.Map;

/**
 * Where a kit backend's transactions go (DESIGN §6, kernel): the real tool through the command
 * runner, or an in-memory fake that applies the same transactions.
 *
 * @param <T> the backend's transaction type
 * @param <X> what a read of the kernel returns: the objects a full sync must replace
 */
public interface BackendKernel<T extends KernelTransaction, X> {
  /** What the kernel holds of this backend in {@code family}; called before full syncs only. */
  X read(IpFamily family) throws KernelException;

  /**
   * Applies every family's transaction ({@link IpFamily#V4} first), as one transaction where the
   * tool allows it (and one per family otherwise), all or nothing per tool call.
   *
   * @return the number of bytes of tool input sent
   */
  long apply(Map<IpFamily, T> transactions) throws KernelException;

  /** Removes everything of this backend's from the kernel, in every family. */
  void cleanup() throws KernelException;
}
