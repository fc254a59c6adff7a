package dev.kubeproxy.iptables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Exclusions;
import dev.kubeproxy.model.conformance.TrafficConformanceSuite;

/** The traffic conformance suite on the iptables backend driving iptables-legacy. */
@KernelTest
class IptablesLegacyTrafficKernelTest extends TrafficConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return IptablesUnderTest.LEGACY;
  }

  @Override
  protected Exclusions exclusions() {
    return IptablesUnderTest.EXCLUSIONS;
  }
}
