package dev.kubeproxy.iptables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Exclusions;
import dev.kubeproxy.model.conformance.TrafficConformanceSuite;

/** The traffic conformance suite on the iptables backend driving iptables-nft. */
@KernelTest
class IptablesNftTrafficKernelTest extends TrafficConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return IptablesUnderTest.NFT;
  }

  @Override
  protected Exclusions exclusions() {
    return IptablesUnderTest.EXCLUSIONS;
  }
}
