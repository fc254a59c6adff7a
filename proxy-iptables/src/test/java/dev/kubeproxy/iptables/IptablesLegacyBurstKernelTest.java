package dev.kubeproxy.iptables;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.BurstConformanceSuite;

/** 10,000 endpoint changes in bursts on the iptables backend (iptables-legacy): heap flat, kernel equal to a fresh full sync. */
@KernelTest
class IptablesLegacyBurstKernelTest extends BurstConformanceSuite {
  @Override
  protected BackendUnderTest backendUnderTest() {
    return IptablesUnderTest.LEGACY;
  }
}
