package dev.kubeproxy.nftables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.BurstConformanceSuite;

/** 10,000 endpoint changes in bursts on the nftables backend: heap flat, kernel equal to a fresh full sync. */
@KernelTest
class NftablesBurstKernelTest extends BurstConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return NftablesUnderTest.INSTANCE;
  }
}
