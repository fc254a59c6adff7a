package dev.kubeproxy.userspace;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Exclusions;
import dev.kubeproxy.model.conformance.LifecycleConformanceSuite;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The lifecycle conformance suite on userspace node mode, with its {@link UserspaceExclusions}. */
@KernelTest
class UserspaceNodeLifecycleKernelTest extends LifecycleConformanceSuite {
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
