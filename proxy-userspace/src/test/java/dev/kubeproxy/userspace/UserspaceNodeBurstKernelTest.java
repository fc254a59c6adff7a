package dev.kubeproxy.userspace;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.BurstConformanceSuite;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 10,000 endpoint changes in bursts on userspace node mode: heap flat, redirect rules and
 * listeners equal to a fresh full sync's.
 */
@KernelTest
class UserspaceNodeBurstKernelTest extends BurstConformanceSuite {
  @RegisterExtension static final UserspaceNodeAgent agent = new UserspaceNodeAgent();

  @Override
  protected BackendUnderTest backendUnderTest() {
    return agent.underTest(lab);
  }
}
