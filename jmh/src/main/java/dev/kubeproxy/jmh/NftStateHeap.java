package dev.kubeproxy.jmh;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.nftables.NftCompiler;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The heap the nftables backend's committed state holds after a full compile of a workload (not
 * JMH: the quantity is retained memory): live heap after a full collection with the model's
 * table only, then with the compiled state kept as well, in one JVM. Run it with {@code -Xmx}
 * to find the smallest heap in which the compile completes.
 *
 * <pre>java -cp jmh/target/benchmarks.jar dev.kubeproxy.jmh.NftStateHeap [S|M|W|L] [--histogram]</pre>
 */
public final class NftStateHeap {
  private NftStateHeap() {}

  public static void main(String[] args) {
    Workload.Shape shape = Workload.Shape.valueOf(args.length > 0 ? args[0] : "M");
    ForwardingTable table = LoadedModel.load(Workload.of(shape)).table();
    long model = liveBytes();
    long start = System.nanoTime();
    Object state = new NftCompiler().full(table).state();
    long compileMs = (System.nanoTime() - start) / 1_000_000;
    long withState = liveBytes();
    System.out.printf(Locale.ROOT, "%s: full compile %d ms; live heap %.1f MiB with the table,"
            + " %.1f MiB with the committed state too: the state holds %.1f MiB%n",
        shape, compileMs, model / 1048576.0, withState / 1048576.0,
        (withState - model) / 1048576.0);
    if (args.length > 1 && args[1].equals("--histogram")) {
      System.out.println(histogram().lines().limit(40).collect(Collectors.joining("\n")));
    }
    Reference.reachabilityFence(state);
    Reference.reachabilityFence(table);
  }

  /** What {@code jcmd PID GC.class_histogram} prints, for this JVM. */
  private static String histogram() {
    try {
      return (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
          new Object[] {new String[0]}, new String[] {String[].class.getName()});
    } catch (JMException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long liveBytes() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
