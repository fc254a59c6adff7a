package dev.kubeproxy.iptables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.DifferentialConformanceSuite;

/** The differential conformance suite on the iptables backend driving iptables-legacy. */
@KernelTest
class IptablesLegacyDifferentialKernelTest extends DifferentialConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return IptablesUnderTest.LEGACY;
  }
}
