package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Narrowing this test JVM's own heap free ratios (restored afterwards). */
class HeapFreeRatiosTest {
  private final HeapFreeRatios ratios = HeapFreeRatios.ofThisJvm().orElseThrow();
  private int min;
  private int max;

  @BeforeEach
  void remember() {
    min = ratios.current(HeapFreeRatios.MIN);
    max = ratios.current(HeapFreeRatios.MAX);
  }

  @AfterEach
  void restore() {
    HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
        .getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    vm.setVMOption(HeapFreeRatios.MAX, Integer.toString(max));
    vm.setVMOption(HeapFreeRatios.MIN, Integer.toString(min));
  }

  @Test
  @DisplayName("wide ratios (the launcher's start) are narrowed in the running JVM, min first")
  void narrowsWideRatios() {
    HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
        .getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    vm.setVMOption(HeapFreeRatios.MAX, "80");
    vm.setVMOption(HeapFreeRatios.MIN, "60");

    ratios.narrowTo(10, 20);

    assertThat(ratios.current(HeapFreeRatios.MIN)).isEqualTo(10);
    assertThat(ratios.current(HeapFreeRatios.MAX)).isEqualTo(20);
  }

  @Test
  @DisplayName("ratios already narrower (given to the JVM by hand) are never raised")
  void neverRaises() {
    HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
        .getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    vm.setVMOption(HeapFreeRatios.MIN, "5");
    vm.setVMOption(HeapFreeRatios.MAX, "15");

    ratios.narrowTo(10, 20);

    assertThat(ratios.current(HeapFreeRatios.MIN)).isEqualTo(5);
    assertThat(ratios.current(HeapFreeRatios.MAX)).isEqualTo(15);
  }

  @Test
  @DisplayName("a JVM that refuses the change is logged, the proxy goes on")
  void refusalIsNotFatal() {
    HotSpotDiagnosticMXBean vm = mock(HotSpotDiagnosticMXBean.class);
    when(vm.getVMOption(anyString()))
        .thenReturn(new VMOption("MinHeapFreeRatio", "40", false, VMOption.Origin.DEFAULT));
    org.mockito.Mockito.doThrow(new IllegalArgumentException("not writeable"))
        .when(vm).setVMOption(anyString(), anyString());

    assertThatCode(() -> new HeapFreeRatios(vm).narrowTo(10, 20)).doesNotThrowAnyException();
  }
}
