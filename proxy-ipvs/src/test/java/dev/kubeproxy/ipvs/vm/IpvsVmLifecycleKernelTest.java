package dev.kubeproxy.ipvs.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.testing.lab.KernelTest;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every IPVS VM ends: by its watchdog, and by itself when the host's connection goes. */
@KernelTest
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class IpvsVmLifecycleKernelTest {
  @Test
  void watchdogKillsTheVmAndDeletesItsDirectory() throws Exception {
    try (IpvsVm vm = IpvsVm.boot()) {
      vm.killAfter(Duration.ofMillis(500));

      vm.process().onExit().get(30, TimeUnit.SECONDS);

      assertThat(vm.isAlive()).isFalse();
      awaitDeleted(vm);
    }
  }

  @Test
  void guestPowersOffWhenTheHostConnectionCloses() throws Exception {
    try (IpvsVm vm = IpvsVm.boot()) {
      vm.agent().close(); // what a JVM that dies without its shutdown hooks leaves behind

      vm.process().onExit().get(60, TimeUnit.SECONDS);

      assertThat(vm.exitValue()).as("QEMU ended by the guest's power-off, not by a kill").isZero();
    }
  }

  private static void awaitDeleted(IpvsVm vm) throws InterruptedException {
    // close() deletes the directory right after QEMU has ended; give it a moment.
    for (int i = 0; i < 100 && Files.exists(vm.workDir()); i++) {
      Thread.sleep(50);
    }
    assertThat(vm.workDir()).doesNotExist();
  }
}
