package dev.kubeproxy.ipvs.vm;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.BurstConformanceSuite;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 10,000 endpoint changes in bursts on the IPVS backend in one IPVS VM: heap flat, kernel equal to
 * a fresh full sync. Drained real servers are checked on every sync ({@link
 * IpvsUnderTest#CHECK_DRAINED_EVERY_SYNC}): with upstream's one-minute check a removed TCP endpoint
 * stays at weight 0 for up to a minute, by design, and the comparison would see it.
 */
@KernelTest
class IpvsBurstKernelTest extends BurstConformanceSuite {
  @RegisterExtension static final IpvsVmLab vm = new IpvsVmLab();

  @Override
  protected BackendUnderTest backendUnderTest() {
    return IpvsUnderTest.CHECK_DRAINED_EVERY_SYNC;
  }

  @Override
  protected NetnsLab.Builder labBuilder() {
    return vm.inVm(super.labBuilder());
  }
}
