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

  /** The line of {@code ip -batch -} that carries it out. */
  public String line() {
    int bits = address.family() == IpFamily.V4 ? 32 : 128;
    return "addr "
        + (add ? "add " : "del ")
        + address
        + "/"
        + bits
        + " dev "
        + IpvsNames.DUMMY_DEVICE;
  }
}
