package dev.kubeproxy.api.testing;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.BackendCompiler;
import dev.kubeproxy.api.backend.kit.KernelTransaction;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A backend's real compiler that throws, as a compiler bug or an unforeseen input would, whenever
 * a change it compiles holds an adversarial entry: for testing that one bad service port costs
 * only itself.
 */
public final class FailingCompiler<S, T extends KernelTransaction, X> implements BackendCompiler<S, T, X> {
  private final BackendCompiler<S, T, X> real;
  private final Predicate<ServiceEntry> adversarial;

  private FailingCompiler(BackendCompiler<S, T, X> real, Predicate<ServiceEntry> adversarial) {
    this.real = real;
    this.adversarial = adversarial;
  }

  /** {@code real}, failing on any change that compiles an entry {@code adversarial} accepts. */
  public static <S, T extends KernelTransaction, X> FailingCompiler<S, T, X> failingOn(
      BackendCompiler<S, T, X> real, Predicate<ServiceEntry> adversarial) {
    return new FailingCompiler<>(real, adversarial);
  }

  @Override
  public boolean compilesFully(TableChange change, boolean full, S committed) {
    return real.compilesFully(change, full, committed);
  }

  @Override
  public X nothingInstalled(IpFamily family) {
    return real.nothingInstalled(family);
  }

  @Override
  public Compiled<S, T> compile(TableChange change, boolean full, S committed, X existing, long nowNanos) {
    Iterable<ServicePortKey> keys = compilesFully(change, full, committed)
        ? change.next().entries().keySet() : change.changedKeys();
    for (ServicePortKey key : keys) {
      ServiceEntry entry = change.next().entry(key);
      if (entry != null && adversarial.test(entry)) {
        throw new IllegalStateException("cannot compile " + key + " (adversarial entry)");
      }
    }
    return real.compile(change, full, committed, existing, nowNanos);
  }

  @Override
  public String render(Map<IpFamily, T> transactions) {
    return real.render(transactions);
  }
}
