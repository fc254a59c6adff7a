package dev.kubeproxy.ipvs;

import dev.kubeproxy.api.backend.kit.BackendKernel;

/**
 * Where IPVS transactions go: the real tools ({@link RealIpvsKernel}) or memory ({@link
 * FakeIpvsKernel}). It also tells how many connections drained real servers still carry.
 */
public interface IpvsKernel
    extends BackendKernel<IpvsTransaction, IpvsExisting>, RealServerConnections {}
