package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

/** What makes a chain a base chain: its type, hook and priority. */
public record BaseChain(String type, String hook, int priority) {
  public BaseChain {
    checkArgument(type != null && type.matches("filter|nat"), "type must be filter or nat");
    checkArgument(hook != null && hook.matches("prerouting|input|forward|output|postrouting"),
        "unknown hook %s", hook);
  }

  public static BaseChain filter(String hook, int priority) {
    return new BaseChain("filter", hook, priority);
  }

  public static BaseChain nat(String hook, int priority) {
    return new BaseChain("nat", hook, priority);
  }
}
