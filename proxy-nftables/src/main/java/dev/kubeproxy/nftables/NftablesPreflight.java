package dev.kubeproxy.nftables;

import dev.kubeproxy.api.backend.kit.Versions;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.util.Optional;

/**
 * Upstream's preconditions for nftables mode: kernel 5.13 or newer (bypassed by
 * {@code KUBE_PROXY_NFTABLES_SKIP_KERNEL_VERSION_CHECK}, as upstream) and an {@code nft} of
 * 1.0.1 or newer.
 */
public final class NftablesPreflight {
  /** Upstream's variable that skips the kernel version check. */
  public static final String SKIP_KERNEL_CHECK = "KUBE_PROXY_NFTABLES_SKIP_KERNEL_VERSION_CHECK";

  private NftablesPreflight() {}

  /** Why nftables mode cannot run here, or empty. */
  public static Optional<String> problem(
      String kernelRelease, boolean skipKernelCheck, CommandRunner commands) {
    if (!skipKernelCheck && !Versions.atLeast(kernelRelease, 5, 13, 0)) {
      return Optional.of("nftables mode needs kernel 5.13 or newer, this is " + kernelRelease
          + " (set " + SKIP_KERNEL_CHECK + " to try anyway)");
    }
    String nftVersion;
    try {
      nftVersion = commands.run(Command.of("nft", "--version")).stdout().strip();
    } catch (CommandException e) {
      return Optional.of("nftables mode needs the nft tool: " + e.getMessage());
    }
    if (!Versions.atLeast(nftVersion, 1, 0, 1)) {
      return Optional.of("nftables mode needs nft 1.0.1 or newer, found '" + nftVersion + "'");
    }
    return Optional.empty();
  }
}
