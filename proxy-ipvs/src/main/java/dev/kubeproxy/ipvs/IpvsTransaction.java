package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.kit.KernelTransaction;
import java.util.Map;

/**
 * One family's structured IPVS change, in the order the tools run: ipsets, the dummy device and its
 * addresses, the IPVS table, the sysctls the mode needs (full syncs only), then the iptables glue
 * (whole chains rewritten, and jumps from built-in chains added where missing).
 */
public record IpvsTransaction(
    IpFamily family,
    ImmutableList<IpsetOp> ipsets,
    boolean createDevice,
    ImmutableList<AddressOp> addresses,
    ImmutableList<IpvsOp> ipvs,
    ImmutableList<GlueChain> glue,
    ImmutableList<GlueJump> jumps,
    ImmutableMap<String, String> sysctls)
    implements KernelTransaction {

  public IpvsTransaction {
    checkNotNull(family, "family");
    ipsets = ImmutableList.copyOf(ipsets);
    addresses = ImmutableList.copyOf(addresses);
    ipvs = ImmutableList.copyOf(ipvs);
    glue = ImmutableList.copyOf(glue);
    jumps = ImmutableList.copyOf(jumps);
    sysctls = ImmutableMap.copyOf(sysctls);
    for (Map.Entry<String, String> e : sysctls.entrySet()) {
      checkArgument(
          e.getKey().matches("[a-z0-9_.]+") && e.getValue().matches("[0-9]+"), "bad sysctl %s", e);
    }
  }

  /** A transaction that changes nothing. */
  public static IpvsTransaction empty(IpFamily family) {
    return new IpvsTransaction(
        family,
        ImmutableList.of(),
        false,
        ImmutableList.of(),
        ImmutableList.of(),
        ImmutableList.of(),
        ImmutableList.of(),
        ImmutableMap.of());
  }

  /** Operations: ipset lines, device and address changes, ipvsadm lines, sysctls, glue. */
  @Override
  public int size() {
    return ipsets.size()
        + (createDevice ? 1 : 0)
        + addresses.size()
        + ipvs.size()
        + sysctls.size()
        + glue.size()
        + jumps.size();
  }
}
