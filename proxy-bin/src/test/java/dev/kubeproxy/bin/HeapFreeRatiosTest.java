package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
    set(min, max);
  }

  @ParameterizedTest(name = "{0}/{1} % narrowed to 10/20 % gives {2}/{3} %")
  @CsvSource({
    "60, 80, 10, 20", // the launcher's wide start: narrowed, min first
    "5, 15, 5, 15", // narrower ones given by hand: never raised
    "5, 80, 5, 20", // each ratio on its own
  })
  @DisplayName("the running JVM's ratios are narrowed to 10/20 %, never widened")
  void narrowsNeverWidens(int startMin, int startMax, int expectedMin, int expectedMax) {
    set(startMin, startMax);

    ratios.narrowTo(10, 20);

    assertThat(ratios.current(HeapFreeRatios.MIN)).isEqualTo(expectedMin);
    assertThat(ratios.current(HeapFreeRatios.MAX)).isEqualTo(expectedMax);
  }

  /** Sets this JVM's ratios in an order the JVM accepts from any valid pair to any other. */
  private static void set(int min, int max) {
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    vm.setVMOption(HeapFreeRatios.MIN, "0");
    vm.setVMOption(HeapFreeRatios.MAX, Integer.toString(max));
    vm.setVMOption(HeapFreeRatios.MIN, Integer.toString(min));
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
