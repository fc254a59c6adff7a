package dev.kubeproxy.iptables;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * One rule of a chain: the chain and the rule's arguments after {@code -A CHAIN}, exactly as
 * written to {@code iptables-restore}. Two rules are equal when their chain and arguments are,
 * which is also how {@code -D CHAIN spec} finds a rule in the kernel.
 */
public record IptRule(String chain, ImmutableList<String> args) {
  public IptRule {
    checkArgument(chain != null && !chain.isEmpty(), "chain must be set");
    checkArgument(chain.length() <= 28, "chain name %s is longer than iptables allows", chain);
    checkArgument(args != null, "args must be set");
    for (String a : args) {
      checkArgument(a != null && a.indexOf('\n') < 0 && a.indexOf('"') < 0,
          "argument %s of a rule in %s cannot be written", a, chain);
    }
  }

  public static IptRule of(String chain, List<String> args) {
    return new IptRule(chain, ImmutableList.copyOf(args));
  }

  public static IptRule of(String chain, String... args) {
    return new IptRule(chain, ImmutableList.copyOf(args));
  }

  /** The {@code -j} target, or null for a rule that only counts. */
  public String target() {
    int j = args.lastIndexOf("-j");
    return j >= 0 && j + 1 < args.size() ? args.get(j + 1) : null;
  }

  /** The arguments as restore-input text; arguments holding spaces are double-quoted. */
  public String spec() {
    StringBuilder s = new StringBuilder();
    for (String a : args) {
      if (s.length() > 0) {
        s.append(' ');
      }
      if (a.isEmpty() || a.indexOf(' ') >= 0) {
        s.append('"').append(a).append('"');
      } else {
        s.append(a);
      }
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return "-A " + chain + " " + spec();
  }
}
