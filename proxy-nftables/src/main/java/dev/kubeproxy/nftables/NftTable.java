package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.IpFamily;
import java.util.Objects;

/** One nftables table: a family ({@code ip} or {@code ip6}) and a name. */
public record NftTable(IpFamily family, String name) {
  /** Upstream's table name, kept so that {@code nft list table ip kube-proxy} reads familiar. */
  public static final String KUBE_PROXY = "kube-proxy";

  public NftTable {
    Objects.requireNonNull(family, "family");
    checkArgument(name != null && name.matches("[A-Za-z0-9_-]+"), "bad table name %s", name);
  }

  /** The {@code kube-proxy} table of {@code family}. */
  public static NftTable kubeProxy(IpFamily family) {
    return new NftTable(family, KUBE_PROXY);
  }

  /** {@code ip kube-proxy}: how nft commands name this table. */
  @Override
  public String toString() {
    return family.nftFamily() + " " + name;
  }
}
