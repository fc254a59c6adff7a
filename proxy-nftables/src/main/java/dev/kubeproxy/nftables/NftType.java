package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * The key or value type of a set or map: either a data type ({@code type ipv4_addr}) or the type
 * of expressions ({@code typeof ip daddr . th dport}), which concatenations with numgen need.
 */
public record NftType(boolean typeOf, String expression) {
  public NftType {
    checkArgument(expression != null && !expression.isBlank(), "type expression must be set");
  }

  public static NftType type(String dataType) {
    return new NftType(false, dataType);
  }

  public static NftType typeOf(String expression) {
    return new NftType(true, expression);
  }

  /** The keyword that introduces this type in a declaration. */
  public String keyword() {
    return typeOf ? "typeof" : "type";
  }
}
