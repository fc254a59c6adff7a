package dev.kubeproxy.ipvs.vm;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Exclusions;
import dev.kubeproxy.model.conformance.PolicyConformanceSuite;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The policy conformance suite on the IPVS backend, in one IPVS VM for the class. */
@KernelTest
class IpvsPolicyKernelTest extends PolicyConformanceSuite {
  @RegisterExtension static final IpvsVmLab vm = new IpvsVmLab();

  @Override
  protected BackendUnderTest backendUnderTest() {
    return IpvsVmLab.BACKEND;
  }

  @Override
  protected Exclusions exclusions() {
    return IpvsVmLab.EXCLUSIONS;
  }

  @Override
  protected NetnsLab.Builder labBuilder() {
    return vm.inVm(super.labBuilder());
  }
}
