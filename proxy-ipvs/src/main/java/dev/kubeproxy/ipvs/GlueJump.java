package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;

/** A rule in a built-in chain (PREROUTING, INPUT...) that jumps to a glue chain. */
public record GlueJump(String table, String chain, ImmutableList<String> args) {
  public GlueJump {
    checkArgument(table.equals("nat") || table.equals("filter"), "bad table %s", table);
    checkArgument(chain.matches("[A-Z]+"), "bad built-in chain %s", chain);
  }

  /** The glue chain it jumps to. */
  public String target() {
    return args.get(args.size() - 1);
  }
}
