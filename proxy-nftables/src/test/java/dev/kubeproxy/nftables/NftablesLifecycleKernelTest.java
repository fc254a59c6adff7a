package dev.kubeproxy.nftables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.LifecycleConformanceSuite;

/** The lifecycle conformance suite on the nftables backend, which has no exclusions. */
@KernelTest
class NftablesLifecycleKernelTest extends LifecycleConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return NftablesUnderTest.INSTANCE;
  }
}
