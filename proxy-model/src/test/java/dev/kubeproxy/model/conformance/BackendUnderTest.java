package dev.kubeproxy.model.conformance;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;

/** How the conformance suites get a backend of one mode programming a lab's node namespace. */
public interface BackendUnderTest {
  /** The proxy mode, as printed in exclusions and failure messages (e.g. {@code nftables}). */
  String mode();

  /** A fresh backend, as at process start, whose kernel tool runs through {@code node}. */
  Backend create(CommandRunner node);

  /** What backends of this mode have programmed in the node, as text for failure messages. */
  String listProgrammed(CommandRunner node) throws CommandException;

  /**
   * {@link #listProgrammed} in a form where two kernels holding the same rules read the same
   * whatever order the objects were created in (set elements, chains, counters normalised): what
   * {@link BurstConformanceSuite} compares. Backends that run that suite override it.
   */
  default String normalizedListing(CommandRunner node) throws CommandException {
    return listProgrammed(node);
  }
}
