package dev.kubeproxy.userspace;

import dev.kubeproxy.api.testing.lab.NetnsLab;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the userspace node-mode kernel test classes share: one {@link UserspaceNodeUnderTest} per
 * class, made for the lab's node namespace on first use. A class holds it in a static {@code
 * @RegisterExtension} field, so JUnit stops its listener agent after the class, also on failure.
 */
final class UserspaceNodeAgent implements AfterAllCallback {
  private UserspaceNodeUnderTest underTest;

  /** This class's backend under test, in {@code lab}'s node namespace. */
  synchronized UserspaceNodeUnderTest underTest(NetnsLab lab) {
    if (underTest == null) {
      underTest = new UserspaceNodeUnderTest(lab.nodeNs());
    }
    return underTest;
  }

  /** Ends the listener agent, if one was started. */
  @Override
  public synchronized void afterAll(ExtensionContext context) {
    if (underTest != null) {
      underTest.stop();
    }
  }
}
