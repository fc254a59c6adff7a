package dev.kubeproxy.bin;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Upstream's preconditions for nftables mode: kernel 5.13 or newer (bypassed by
 * {@code KUBE_PROXY_NFTABLES_SKIP_KERNEL_VERSION_CHECK}, as upstream) and an {@code nft} of
 * 1.0.1 or newer. Returns the reason it cannot run, or null.
 */
final class NftablesSupport {
  static final String SKIP_KERNEL_CHECK = "KUBE_PROXY_NFTABLES_SKIP_KERNEL_VERSION_CHECK";
  private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

  private NftablesSupport() {}

  static String problem(String kernelRelease, boolean skipKernelCheck, CommandRunner commands) {
    if (!skipKernelCheck && !atLeast(kernelRelease, 5, 13, 0)) {
      return "nftables mode needs kernel 5.13 or newer, this is " + kernelRelease
          + " (set " + SKIP_KERNEL_CHECK + " to try anyway)";
    }
    String nftVersion;
    try {
      nftVersion = commands.run(Command.of("nft", "--version")).stdout().strip();
    } catch (CommandException e) {
      return "nftables mode needs the nft tool: " + e.getMessage();
    }
    if (!atLeast(nftVersion, 1, 0, 1)) {
      return "nftables mode needs nft 1.0.1 or newer, found '" + nftVersion + "'";
    }
    return null;
  }

  /** Whether the first {@code major.minor[.patch]} in {@code text} is at least the given one. */
  static boolean atLeast(String text, int major, int minor, int patch) {
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
