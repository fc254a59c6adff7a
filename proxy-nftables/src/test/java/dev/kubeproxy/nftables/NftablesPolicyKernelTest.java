package dev.kubeproxy.nftables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.PolicyConformanceSuite;

/** The policy conformance suite on the nftables backend, which has no exclusions. */
@KernelTest
class NftablesPolicyKernelTest extends PolicyConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return NftablesUnderTest.INSTANCE;
  }
}
