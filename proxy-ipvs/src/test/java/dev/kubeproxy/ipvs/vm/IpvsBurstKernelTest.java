package dev.kubeproxy.ipvs.vm;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.BurstConformanceSuite;
import org.junit.jupiter.api.AfterAll;

/** Endpoint changes in bursts on the IPVS backend in one IPVS VM: heap flat, kernel equal to a fresh full sync. */
@KernelTest
class IpvsBurstKernelTest extends BurstConformanceSuite {
  private final IpvsVmLab vm = new IpvsVmLab();

  @Override
  protected BackendUnderTest backendUnderTest() {
    return IpvsVmLab.BACKEND;
  }

  @Override
  protected NetnsLab.Builder labBuilder() {
    return vm.inVm(super.labBuilder());
  }

  @AfterAll
  void killVm() {
    vm.close(lab, getClass());
  }
}
