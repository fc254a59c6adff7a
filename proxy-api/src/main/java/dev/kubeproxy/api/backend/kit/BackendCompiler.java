package dev.kubeproxy.api.backend.kit;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.TableChange;
import java.util.Map;

/**
 * A kit backend's pure parts (DESIGN §6, compile and render): one family's table change into a
 * structured transaction plus the state the kernel will hold once it is applied, and
 * transactions into the exact text of the kernel tool.
 *
 * @param <S> what the backend remembers of one family's committed objects (immutable)
 * @param <T> the backend's transaction type
 * @param <X> what a kernel read returns (see {@link BackendKernel#read})
 */
public interface BackendCompiler<S, T extends KernelTransaction, X> {
  /**
   * Whether {@code change} must be compiled in full: {@code full} is set, nothing was committed
   * ({@code committed} is null), or something the committed state cannot patch changed (the
   * table-wide facts, typically). Only full compiles read the kernel.
   */
  boolean compilesFully(TableChange change, boolean full, S committed);

  /** What a kernel read returns on a node that holds nothing of this backend's. */
  X nothingInstalled(IpFamily family);

  /**
   * Compiles {@code change}: fully when {@link #compilesFully}, replacing {@code existing};
   * otherwise as the delta against {@code committed}.
   */
  Compiled<S, T> compile(TableChange change, boolean full, S committed, X existing, long nowNanos);

  /** The exact text the kernel tool (or tools) take for every family's transaction. */
  String render(Map<IpFamily, T> transactions);

  /** A transaction and the state the family will be in once it is applied. */
  record Compiled<S, T>(T transaction, S state) {}
}
