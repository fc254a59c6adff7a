package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;

/** Where transactions go: real {@code iptables-restore} ({@link RealIptKernel}) or memory ({@link FakeIptKernel}). */
public interface IptKernel {
  /**
   * Applies {@code transaction} to {@code family}'s tables, each table all or nothing.
   *
   * @return the number of bytes of restore input
   */
  long apply(IpFamily family, IptTransaction transaction) throws IptException;

  /** What {@code family}'s filter, nat and mangle tables hold; read only before a full sync. */
  IptExisting read(IpFamily family) throws IptException;

  /** Whether {@code KUBE-PROXY-CANARY} still exists in {@code family}'s mangle, nat and filter. */
  boolean canaryPresent(IpFamily family) throws IptException;
}
