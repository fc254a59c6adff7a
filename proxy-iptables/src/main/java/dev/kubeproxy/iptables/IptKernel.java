package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.kit.BackendKernel;
import java.util.Map;

/**
 * Where transactions go: real {@code iptables-restore} ({@link RealIptKernel}) or memory
 * ({@link FakeIptKernel}). One restore run per family: the tools cannot span both.
 */
public interface IptKernel extends BackendKernel<IptTransaction, IptExisting> {
  /**
   * Applies {@code transaction} to {@code family}'s tables, each table all or nothing.
   *
   * @return the number of bytes of restore input
   */
  long apply(IpFamily family, IptTransaction transaction) throws IptException;

  /** What {@code family}'s filter, nat and mangle tables hold; read only before a full sync. */
  @Override
  IptExisting read(IpFamily family) throws IptException;

  /**
   * Sets {@code net.ipv4.conf.all.route_localnet=1}, which localhost NodePorts need: without it
   * the kernel drops packets DNATed away from 127/8.
   */
  void enableRouteLocalnet() throws IptException;

  /** Whether {@code KUBE-PROXY-CANARY} still exists in {@code family}'s mangle, nat and filter. */
  boolean canaryPresent(IpFamily family) throws IptException;

  @Override
  default long apply(Map<IpFamily, IptTransaction> transactions) throws IptException {
    long bytes = 0;
    for (Map.Entry<IpFamily, IptTransaction> e : transactions.entrySet()) {
      bytes += apply(e.getKey(), e.getValue());
    }
    return bytes;
  }

  /**
   * Removes, in both families, the jumps from the built-in chains and every chain the backend
   * writes; other rules and chains (kubelet's {@code KUBE-FIREWALL}, users' rules) stay.
   */
  @Override
  default void cleanup() throws IptException {
    for (IpFamily family : IpFamily.values()) {
      apply(family, IptCleanup.transaction(read(family)));
    }
  }
}
