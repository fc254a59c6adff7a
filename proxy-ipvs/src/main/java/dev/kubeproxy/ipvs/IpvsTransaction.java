package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.kit.KernelTransaction;

/**
 * One family's structured IPVS change, in the order the tools run: ipsets, the dummy device and
 * its addresses, the IPVS table, then the iptables glue (whole chains rewritten, and jumps from
 * built-in chains added where missing).
 */
public record IpvsTransaction(
    IpFamily family,
    ImmutableList<IpsetOp> ipsets,
    boolean createDevice,
    ImmutableList<AddressOp> addresses,
    ImmutableList<IpvsOp> ipvs,
    ImmutableList<GlueChain> glue,
    ImmutableList<GlueJump> jumps) implements KernelTransaction {

  public IpvsTransaction {
    checkNotNull(family, "family");
    ipsets = ImmutableList.copyOf(ipsets);
    addresses = ImmutableList.copyOf(addresses);
    ipvs = ImmutableList.copyOf(ipvs);
    glue = ImmutableList.copyOf(glue);
    jumps = ImmutableList.copyOf(jumps);
  }

  /** A transaction that changes nothing. */
  public static IpvsTransaction empty(IpFamily family) {
    return new IpvsTransaction(family, ImmutableList.of(), false, ImmutableList.of(),
        ImmutableList.of(), ImmutableList.of(), ImmutableList.of());
  }

  /** Operations: ipset lines, device and address changes, ipvsadm lines, glue chains and jumps. */
  @Override
  public int size() {
    return ipsets.size() + (createDevice ? 1 : 0) + addresses.size() + ipvs.size() + glue.size()
        + jumps.size();
  }
}
