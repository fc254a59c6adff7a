package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;

/**
 * One iptables glue chain written whole: {@code iptables-restore --noflush} flushes a chain it
 * declares, then appends its rules. Each rule is the argument list after {@code -A CHAIN}.
 */
public record GlueChain(String table, String chain, ImmutableList<ImmutableList<String>> rules) {
  public GlueChain {
    checkArgument(table.equals("nat") || table.equals("filter"), "bad table %s", table);
    checkArgument(chain.matches("KUBE-[A-Z0-9-]+"), "bad chain %s", chain);
  }
}
