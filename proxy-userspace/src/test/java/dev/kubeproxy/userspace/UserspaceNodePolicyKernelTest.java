package dev.kubeproxy.userspace;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Exclusions;
import dev.kubeproxy.model.conformance.PolicyConformanceSuite;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The policy conformance suite on userspace node mode, with its {@link UserspaceExclusions}. */
@KernelTest
class UserspaceNodePolicyKernelTest extends PolicyConformanceSuite {
  @RegisterExtension static final UserspaceNodeAgent agent = new UserspaceNodeAgent();

  @Override
  protected BackendUnderTest backendUnderTest() {
    return agent.underTest(lab);
  }

  @Override
  protected Exclusions exclusions() {
    return UserspaceExclusions.NODE_MODE;
  }
}
