package dev.kubeproxy.userspace;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.BurstConformanceSuite;
import org.junit.jupiter.api.AfterAll;

/**
 * 10,000 endpoint changes in bursts on userspace node mode: heap flat, redirect rules and
 * listeners equal to a fresh full sync's.
 */
@KernelTest
class UserspaceNodeBurstKernelTest extends BurstConformanceSuite {
  private UserspaceNodeUnderTest underTest;

  @Override
  protected BackendUnderTest backendUnderTest() {
    if (underTest == null) {
      underTest = new UserspaceNodeUnderTest(lab.nodeNs());
    }
    return underTest;
  }

  @AfterAll
  void stopAgent() {
    if (underTest != null) {
      underTest.stop();
    }
  }
}
