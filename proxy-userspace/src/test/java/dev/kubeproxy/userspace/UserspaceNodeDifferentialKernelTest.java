package dev.kubeproxy.userspace;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Exclusions;
import dev.kubeproxy.model.conformance.DifferentialConformanceSuite;
import org.junit.jupiter.api.AfterAll;

/** The differential conformance suite on userspace node mode, with its {@link UserspaceExclusions}. */
@KernelTest
class UserspaceNodeDifferentialKernelTest extends DifferentialConformanceSuite {
  private UserspaceNodeUnderTest underTest;

  @Override
  protected BackendUnderTest backendUnderTest() {
    if (underTest == null) {
      underTest = new UserspaceNodeUnderTest(lab.nodeNs());
    }
    return underTest;
  }

  @Override
  protected Exclusions exclusions() {
    return UserspaceExclusions.NODE_MODE;
  }

  @AfterAll
  void stopAgent() {
    if (underTest != null) {
      underTest.stop();
    }
  }
}
