package dev.kubeproxy.nftables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.DifferentialConformanceSuite;

/** The differential conformance suite on the nftables backend, which has no exclusions. */
@KernelTest
class NftablesDifferentialKernelTest extends DifferentialConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return NftablesUnderTest.INSTANCE;
  }
}
