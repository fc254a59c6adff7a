package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Capability;
import dev.kubeproxy.model.conformance.Exclusions;
import dev.kubeproxy.model.conformance.Listings;

/** The iptables backend for the conformance suites, on one iptables variant in the lab's node. */
final class IptablesUnderTest implements BackendUnderTest {
  static final IptablesUnderTest LEGACY = new IptablesUnderTest("iptables (legacy)", IptBinaries.legacy());
  static final IptablesUnderTest NFT = new IptablesUnderTest("iptables (nft)", IptBinaries.nft());

  /** What iptables mode does not do, as upstream's iptables mode does not either. */
  static final Exclusions EXCLUSIONS = Exclusions.of(
      Capability.UNALLOCATED_SERVICE_IP_DROP,
      "upstream's iptables mode has no ServiceCIDR rule: an unallocated address inside a"
          + " ServiceCIDR is routed like any other (only its nftables mode drops it)");

  private final String mode;
  private final IptBinaries binaries;

  private IptablesUnderTest(String mode, IptBinaries binaries) {
    this.mode = mode;
    this.binaries = binaries;
  }

  @Override
  public String mode() {
    return mode;
  }

  @Override
  public Backend create(CommandRunner node) {
    return new IptablesBackend(new RealIptKernel(node, binaries));
  }

  @Override
  public String listProgrammed(CommandRunner node) throws CommandException {
    return node.run(Command.of(binaries.save(IpFamily.V4))).stdout()
        + node.run(Command.of(binaries.save(IpFamily.V6))).stdout();
  }

  @Override
  public String normalizedListing(CommandRunner node) throws CommandException {
    return Listings.iptablesSave(listProgrammed(node));
  }
}
