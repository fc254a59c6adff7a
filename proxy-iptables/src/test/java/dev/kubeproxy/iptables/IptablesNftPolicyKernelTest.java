package dev.kubeproxy.iptables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.PolicyConformanceSuite;

/** The policy conformance suite on the iptables backend driving iptables-nft. */
@KernelTest
class IptablesNftPolicyKernelTest extends PolicyConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return IptablesUnderTest.NFT;
  }
}
