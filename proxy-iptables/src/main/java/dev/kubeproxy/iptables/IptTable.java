package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableSet;

/** The iptables tables this backend writes, in the order a restore input lists them. */
public enum IptTable {
  FILTER("filter", ImmutableSet.of("INPUT", "FORWARD", "OUTPUT")),
  NAT("nat", ImmutableSet.of("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")),
  MANGLE("mangle", ImmutableSet.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"));

  private final String tableName;
  private final ImmutableSet<String> builtinChains;

  IptTable(String tableName, ImmutableSet<String> builtinChains) {
    this.tableName = tableName;
    this.builtinChains = builtinChains;
  }

  /** The name iptables uses: {@code filter}, {@code nat}, {@code mangle}. */
  public String tableName() {
    return tableName;
  }

  /** The kernel's own chains of this table, which always exist and can never be deleted. */
  public ImmutableSet<String> builtinChains() {
    return builtinChains;
  }
}
