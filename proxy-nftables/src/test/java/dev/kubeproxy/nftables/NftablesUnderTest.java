package dev.kubeproxy.nftables;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Listings;

/** The nftables backend for the conformance suites: real {@code nft} in the lab's node. */
final class NftablesUnderTest implements BackendUnderTest {
  static final NftablesUnderTest INSTANCE = new NftablesUnderTest();

  private NftablesUnderTest() {}

  @Override
  public String mode() {
    return "nftables";
  }

  @Override
  public Backend create(CommandRunner node) {
    return new NftablesBackend(new RealNftKernel(node));
  }

  @Override
  public String listProgrammed(CommandRunner node) throws CommandException {
    return node.run(Command.of("nft", "list", "ruleset")).stdout();
  }

  @Override
  public String normalizedListing(CommandRunner node) throws CommandException {
    return Listings.nftables(listProgrammed(node));
  }
}
