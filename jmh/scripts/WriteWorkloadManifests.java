import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * Writes a benchmark workload's manifests (what the binary benchmarks feed the binary) into a
 * directory, so the binary can be run on them by hand, e.g. with --dry-run.
 * Usage: java -cp jmh/target/benchmarks.jar jmh/scripts/WriteWorkloadManifests.java M DIR
 */
public class WriteWorkloadManifests {
  public static void main(String[] args) throws Exception {
    Class<?> workloadClass = Class.forName("dev.kubeproxy.jmh.Workload");
    Class<?> shapeClass = Class.forName("dev.kubeproxy.jmh.Workload$Shape");
    Object shape = shapeClass.getMethod("valueOf", String.class).invoke(null, args[0]);
    Object workload = workloadClass.getMethod("of", shapeClass).invoke(null, shape);
    // Package-private in the benchmarks; this script runs in its own class loader.
    Method write = Class.forName("dev.kubeproxy.jmh.WorkloadManifests")
        .getDeclaredMethod("write", workloadClass, Path.class);
    write.setAccessible(true);
    System.out.println(write.invoke(null, workload, Path.of(args[1])) + " files in " + args[1]);
  }
}
