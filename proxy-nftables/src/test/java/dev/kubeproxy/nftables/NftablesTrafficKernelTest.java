package dev.kubeproxy.nftables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.TrafficConformanceSuite;

/** The traffic conformance suite on the nftables backend, which has no exclusions. */
@KernelTest
class NftablesTrafficKernelTest extends TrafficConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return NftablesUnderTest.INSTANCE;
  }
}
