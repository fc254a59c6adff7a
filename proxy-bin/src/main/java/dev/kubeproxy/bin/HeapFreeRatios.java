package dev.kubeproxy.bin;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serial collector's heap free ratios, which HotSpot lets a running JVM change. The launcher
 * starts the JVM with wide ones, so that the first full sync, which builds the whole state from
 * nothing, grows the heap in few full collections (at M: 5 instead of 28, a third less CPU);
 * after that sync the proxy narrows them, so the heap shrinks to what the state needs.
 */
final class HeapFreeRatios {
  private static final Logger log = LoggerFactory.getLogger(HeapFreeRatios.class);
  static final String MIN = "MinHeapFreeRatio";
  static final String MAX = "MaxHeapFreeRatio";

  private final HotSpotDiagnosticMXBean vm;

  HeapFreeRatios(HotSpotDiagnosticMXBean vm) {
    this.vm = vm;
  }

  /** The running JVM's, or empty where it is not HotSpot. */
  static Optional<HeapFreeRatios> ofThisJvm() {
    return Optional.ofNullable(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class))
        .map(HeapFreeRatios::new);
  }

  /**
   * Lowers the ratios to at most {@code min} and {@code max} percent; never raises one (options
   * given to the JVM that are already narrower win). A JVM that refuses is logged, not fatal.
   */
  void narrowTo(int min, int max) {
    try {
      // Min first: the JVM refuses a min above the max at every step.
      if (current(MIN) > min) {
        vm.setVMOption(MIN, Integer.toString(min));
      }
      if (current(MAX) > max) {
        vm.setVMOption(MAX, Integer.toString(Math.max(max, current(MIN))));
      }
    } catch (RuntimeException e) {
      log.warn("cannot narrow the heap free ratios to {}/{} %: {}", min, max, e.getMessage());
    }
  }

  int current(String name) {
    return Integer.parseInt(vm.getVMOption(name).getValue());
  }
}
