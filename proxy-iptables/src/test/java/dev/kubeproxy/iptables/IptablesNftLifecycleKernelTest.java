package dev.kubeproxy.iptables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.LifecycleConformanceSuite;

/** The lifecycle conformance suite on the iptables backend driving iptables-nft. */
@KernelTest
class IptablesNftLifecycleKernelTest extends LifecycleConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return IptablesUnderTest.NFT;
  }
}
