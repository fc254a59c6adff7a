package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.kit.KitBackend;
import dev.kubeproxy.api.testing.FailingCompiler;
import dev.kubeproxy.api.testing.PortIsolationScenario;
import dev.kubeproxy.model.conformance.Listings;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One service port the iptables compiler cannot compile costs only itself (issue 14): the kit
 * around the real compiler (made to fail on one adversarial port) and the fake kernel ends as a
 * fresh backend's full sync of the table without that port leaves it.
 */
class IptPortIsolationTest {
  private static final IpFamily V4 = IpFamily.V4;

  private static String dump(FakeIptKernel kernel) {
    StringBuilder out = new StringBuilder();
    for (IptTable t : IptTable.values()) {
      out.append(kernel.save(V4, t));
    }
    // The same rules in each chain: a partial sync may add a service's dispatch rule elsewhere
    // in KUBE-SERVICES than a full sync does (their matches are disjoint, so order is moot).
    return Listings.iptablesSave(out.toString()).lines().sorted()
        .collect(java.util.stream.Collectors.joining("\n"));
  }

  @Test
  @DisplayName("a compiler failing on one port: full and partial syncs program the rest, a fix programs it")
  void failingCompilerFullAndPartial() throws Exception {
    new PortIsolationScenario<FakeIptKernel>(
            FakeIptKernel::new,
            (kernel, fails) -> new KitBackend<>(
                "iptables", FailingCompiler.failingOn(new IptCompiler(true), fails), kernel, () -> 0L),
            kernel -> new IptablesBackend(kernel, () -> 0L),
            IptPortIsolationTest::dump)
        .run();
  }
}
