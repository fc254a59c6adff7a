package dev.kubeproxy.bin.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@link NodeFiles} of the machine this process runs on. */
public final class HostNodeFiles implements NodeFiles {
  @Override
  public String read(String path) throws IOException {
    return Files.readString(Path.of(path), StandardCharsets.US_ASCII).strip();
  }

  @Override
  public void write(String path, String value) throws IOException {
    Files.writeString(Path.of(path), value, StandardCharsets.US_ASCII);
  }

  @Override
  public boolean sysWritable() throws IOException {
    return sysWritable(Files.readAllLines(Path.of("/proc/self/mountinfo")));
  }

  /** Whether the mount table ({@code /proc/self/mountinfo} lines) has {@code /sys} read-write. */
  static boolean sysWritable(List<String> mountinfo) {
    for (String line : mountinfo) {
      String[] fields = line.split(" ");
      // Fields: id parent major:minor root mount-point options ...
      if (fields.length > 5 && fields[4].equals("/sys")) {
        return List.of(fields[5].split(",")).contains("rw");
      }
    }
    return false;
  }

  @Override
  public boolean initialNetworkNamespace() throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/self/ns/net"))
        .equals(Files.readSymbolicLink(Path.of("/proc/1/ns/net")));
  }

  @Override
  public int cpus() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return cpuListSize(line.substring(line.indexOf(':') + 1).strip());
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: the JVM's count below.
    }
    return Runtime.getRuntime().availableProcessors();
  }

  /** The number of CPUs in a kernel CPU list such as {@code 0-3,6,8-9}. */
  static int cpuListSize(String list) {
    int count = 0;
    for (String range : list.split(",")) {
      if (range.isBlank()) {
        continue;
      }
      int dash = range.indexOf('-');
      count += dash < 0
          ? 1
          : Integer.parseInt(range.substring(dash + 1).strip()) - Integer.parseInt(range.substring(0, dash).strip()) + 1;
    }
    return count;
  }
}
