package dev.kubeproxy.ipvs;

import dev.kubeproxy.api.backend.kit.KitBackend;
import dev.kubeproxy.api.testing.FailingCompiler;
import dev.kubeproxy.api.testing.PortIsolationScenario;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One service port the ipvs compiler cannot compile costs only itself (issue 14): the kit
 * around the real compiler (made to fail on one adversarial port) and the fake kernel ends as a
 * fresh backend's full sync of the table without that port leaves it.
 */
class IpvsPortIsolationTest {
  @Test
  @DisplayName("a compiler failing on one port: full and partial syncs program the rest, a fix programs it")
  void failingCompilerFullAndPartial() throws Exception {
    new PortIsolationScenario<FakeIpvsKernel>(
            FakeIpvsKernel::new,
            (kernel, fails) -> new KitBackend<>("ipvs",
                FailingCompiler.failingOn(new IpvsCompiler(IpvsConfig.DEFAULT, kernel), fails),
                kernel, () -> 0L),
            kernel -> new IpvsBackend(kernel, IpvsConfig.DEFAULT, () -> 0L),
            FakeIpvsKernel::dump)
        .run();
  }
}
