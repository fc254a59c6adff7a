package dev.kubeproxy.model;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import java.util.Set;

/**
 * Pure: turns a {@link ClusterSnapshot} and the proxy's {@link ProxyConfig} into one
 * {@link ForwardingTable} per IP family, with upstream kube-proxy's semantics (DESIGN §5).
 */
public final class TableBuilder {
  private TableBuilder() {}

  /** Builds the whole table of {@code family} from scratch. */
  public static ForwardingTable build(IpFamily family, ClusterSnapshot snapshot, ProxyConfig config) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /**
   * Rebuilds only the entries of {@code changedServices} (Service or EndpointSlices changed
   * between {@code previousSnapshot} and {@code snapshot}); every other entry is shared with
   * {@code previous}. The result equals {@code build(family, snapshot, config)}.
   */
  public static TableUpdate update(
      ForwardingTable previous,
      ClusterSnapshot previousSnapshot,
      ClusterSnapshot snapshot,
      ProxyConfig config,
      Set<NamespacedName> changedServices) {
    throw new UnsupportedOperationException("not implemented yet");
  }
}
