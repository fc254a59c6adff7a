package dev.kubeproxy.bin;

import dev.kubeproxy.api.testing.lab.NetnsLab;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the tests that run the real binary as a child process share. */
final class LabBinary {
  private LabBinary() {}

  /** {@code java … -cp <test classpath> Main}, a JVM tuned for a short-lived test child. */
  static List<String> javaCommand() {
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-XX:-UsePerfData",
        "-cp", System.getProperty("java.class.path"), Main.class.getName());
  }

  /**
   * Stops each of {@code processes} (TERM, then KILL after 5 s) and kills whatever it started
   * (the tools a binary runs, a wrapper's children).
   */
  static void stopAll(List<Process> processes) throws InterruptedException {
    for (Process p : processes) {
      List<ProcessHandle> children = p.descendants().toList();
      p.destroy();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
      children.forEach(ProcessHandle::destroyForcibly);
    }
  }

  /** The lab node {@code name} as a Node manifest: its pod CIDR and the lab's node IP. */
  static String nodeManifest(String name) {
    return """
        apiVersion: v1
        kind: Node
        metadata:
          name: %s
          labels:
            kubernetes.io/hostname: %s
        spec:
          podCIDR: %s
        status:
          addresses:
            - type: InternalIP
              address: %s
        """
        .formatted(name, name, NetnsLab.LOCAL_POD_CIDR, NetnsLab.NODE_IP);
  }
}
