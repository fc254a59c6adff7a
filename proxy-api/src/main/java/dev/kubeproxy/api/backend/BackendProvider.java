package dev.kubeproxy.api.backend;

import java.util.Optional;

/**
 * One proxy mode as the binary's registry sees it: its name, the check that this host can run
 * it, and how to build its backend. Adding a mode is a module with one of these plus one line
 * in the registry.
 */
public interface BackendProvider {
  /** The mode's name as {@code --proxy-mode} spells it, e.g. {@code nftables}. */
  String mode();

  /**
   * Why this host cannot run the mode (kernel too old, tool missing or too old, kernel module
   * absent), as one line, or empty when it can. May run read-only tool commands.
   */
  Optional<String> preflight(BackendContext context);

  /** A backend of this mode that runs its tools through {@code context}'s command runner. */
  Backend create(BackendContext context);
}
