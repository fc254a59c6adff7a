package dev.kubeproxy.bin.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** The OS host name, the default node name (as upstream's os.Hostname). */
public final class Hostname {
  private Hostname() {}

  /** The kernel's host name; falls back to the JDK's local host name (no DNS for the first). */
  public static String os() {
    try {
      String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
      if (!name.isEmpty()) {
        return name;
      }
    } catch (IOException e) {
      // Not Linux or no /proc: ask the JDK below.
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "";
    }
  }
}
