package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.kit.BackendKernel;
import dev.kubeproxy.api.backend.kit.KernelException;
import dev.kubeproxy.nftables.NftKernel;
import dev.kubeproxy.nftables.NftTransaction;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The userspace backend's "kernel": applies listener operations to the in-process proxy and, in
 * node mode, the redirect table's changes through an {@link NftKernel}. The proxy is both the
 * real thing and its own fake (it needs no privileges), so tests run the same code as
 * production; only the nftables part has a separate fake ({@code FakeNftKernel}).
 *
 * <p>A listener that cannot bind does not stop the others: everything else is applied, then the
 * apply fails naming it, so the next (full) sync retries it; its port is remembered as
 * unavailable so node mode picks another.
 */
final class ProxyKernel implements BackendKernel<UserspaceTransaction, OpenListeners> {
  private static final Logger log = LoggerFactory.getLogger(ProxyKernel.class);

  private final Listeners proxy;
  private final NftKernel rules;
  private final Set<Integer> unavailable = ConcurrentHashMap.newKeySet();

  /** {@code rules} is null when embedded (no kernel rules at all). */
  ProxyKernel(Listeners proxy, NftKernel rules) {
    this.proxy = proxy;
    this.rules = rules;
  }

  @Override
  public OpenListeners read(IpFamily family) {
    return new OpenListeners(proxy.specs(family), ImmutableSet.copyOf(unavailable));
  }

  @Override
  public long apply(Map<IpFamily, UserspaceTransaction> transactions) throws KernelException {
    List<String> failures = new ArrayList<>();
    List<NftTransaction> nft = new ArrayList<>();
    for (UserspaceTransaction t : transactions.values()) {
      for (ListenerOp op : t.listeners()) {
        if (op instanceof ListenerOp.Close close) {
          proxy.remove(close.spec());
        }
      }
    }
    for (UserspaceTransaction t : transactions.values()) {
      for (ListenerOp op : t.listeners()) {
        try {
          if (op instanceof ListenerOp.Open open) {
            proxy.put(open.spec(), open.endpoints(), open.affinity());
          } else if (op instanceof ListenerOp.Retarget retarget) {
            proxy.put(retarget.spec(), retarget.endpoints(), retarget.affinity());
          }
        } catch (IOException | RuntimeException e) {
          log.warn("{}: {}", op.spec(), e.toString());
          failures.add(op.spec() + ": " + e.getMessage());
          if (op.spec().port() != 0) {
            unavailable.add(op.spec().port());
          }
        }
      }
      nft.add(t.rules());
    }
    long bytes = 0;
    NftTransaction merged = NftTransaction.merged(nft);
    if (rules != null && !merged.isEmpty()) {
      bytes = rules.apply(merged);
    }
    if (!failures.isEmpty()) {
      throw new KernelException("userspace listeners failed: " + String.join("; ", failures));
    }
    return bytes;
  }

  /** Closes every listener and, in node mode, deletes both redirect tables. */
  @Override
  public void cleanup() throws KernelException {
    proxy.close();
    if (rules != null) {
      rules.apply(RedirectRules.cleanup());
    }
  }
}
