package dev.kubeproxy.bin.node;

import java.io.IOException;

/**
 * The kernel files node setup reads and writes ({@code /proc/sys/...}, {@code /sys/module/...},
 * {@code /proc/self/oom_score_adj}), behind an interface so that tests use a fake and never touch
 * the machine; paths are absolute.
 */
public interface NodeFiles {
  /** The file's contents, stripped. */
  String read(String path) throws IOException;

  /** Writes {@code value} to the file. */
  void write(String path, String value) throws IOException;

  /** Whether {@code /sys} is mounted writable (Docker has mounted it read-only in containers). */
  boolean sysWritable() throws IOException;

  /** Whether this process is in the machine's initial network namespace (hashsize is writable only there). */
  boolean initialNetworkNamespace() throws IOException;

  /** The CPUs this process may run on, as Go's {@code runtime.NumCPU}. */
  int cpus();
}
