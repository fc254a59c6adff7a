package dev.kubeproxy.api.backend.kit;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Version checks for preflights: kernel releases and tool version banners. */
public final class Versions {
  private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

  private Versions() {}

  /**
   * Whether the first {@code major.minor[.patch]} in {@code text} (a kernel release such as
   * {@code 6.1.0-28-amd64}, or a banner such as {@code nftables v1.0.6}) is at least the given
   * version; false when {@code text} holds none.
   */
  public static boolean atLeast(String text, int major, int minor, int patch) {
    Matcher m = VERSION.matcher(text == null ? "" : text);
    if (!m.find()) {
      return false;
    }
    int[] found = {
      Integer.parseInt(m.group(1)),
      Integer.parseInt(m.group(2)),
      m.group(3) == null ? 0 : Integer.parseInt(m.group(3))
    };
    int[] wanted = {major, minor, patch};
    for (int i = 0; i < 3; i++) {
      if (found[i] != wanted[i]) {
        return found[i] > wanted[i];
      }
    }
    return true;
  }
}
