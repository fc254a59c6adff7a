package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;

/**
 * Everything one service port contributes to one family's tables: its rules in the shared
 * dispatch chains (nat and filter {@code KUBE-SERVICES}, {@code KUBE-NODEPORTS}, {@code
 * KUBE-EXTERNAL-SERVICES}, {@code KUBE-PROXY-FIREWALL}), its own nat chains with their rules in
 * order, and how many endpoint chains it has (for large-cluster mode).
 */
record EntryRules(
    ImmutableList<Placed> dispatch,
    ImmutableMap<String, ImmutableList<IptRule>> chains,
    int endpointChains) {

  /** A rule and the table it lives in. */
  record Placed(IptTable table, IptRule rule) {}
}
