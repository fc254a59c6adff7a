package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;

/** A service address bound to, or unbound from, the dummy device {@code kube-ipvs0}. */
public record AddressOp(boolean add, IpAddress address) {
  public AddressOp {
    checkNotNull(address, "address");
  }

  public static AddressOp add(IpAddress address) {
    return new AddressOp(true, address);
  }

  public static AddressOp delete(IpAddress address) {
    return new AddressOp(false, address);
  }

  /**
   * The line of {@code ip -batch -} that carries it out. An IPv6 address is added deprecated
   * ({@code preferred_lft 0}, and without duplicate address detection): it still receives, but the
   * kernel never picks it as a source address, which it otherwise would for node traffic (and
   * masquerade) towards pods whose addresses share a longer prefix with service IPs than with the
   * node's (two ULAs, say); IPv4 has no such preference.
   */
  public String line() {
    boolean v4 = address.family() == IpFamily.V4;
    return "addr "
        + (add ? "add " : "del ")
        + address
        + "/"
        + (v4 ? 32 : 128)
        + " dev "
        + IpvsNames.DUMMY_DEVICE
        + (add && !v4 ? " nodad preferred_lft 0" : "");
  }
}
