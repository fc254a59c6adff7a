package dev.kubeproxy.iptables;

import static com.google.common.base.Preconditions.checkArgument;

/** One step of an {@link IptTransaction}, in the vocabulary of {@code iptables-restore}. */
public sealed interface IptOp {
  /** The chain this step works on. */
  String chain();

  /** Creates the chain if absent and empties it ({@code :CHAIN - [0:0]}). */
  record DeclareChain(String chain) implements IptOp {}

  /** Empties an existing chain ({@code -F CHAIN}). */
  record FlushChain(String chain) implements IptOp {}

  /** Deletes an empty, unreferenced chain ({@code -X CHAIN}). */
  record DeleteChain(String chain) implements IptOp {}

  /** Appends a rule ({@code -A CHAIN spec}). */
  record AppendRule(IptRule rule) implements IptOp {
    @Override
    public String chain() {
      return rule.chain();
    }
  }

  /** Inserts a rule at a 1-based position ({@code -I CHAIN N spec}). */
  record InsertRule(IptRule rule, int position) implements IptOp {
    public InsertRule {
      checkArgument(position >= 1, "positions start at 1");
    }

    @Override
    public String chain() {
      return rule.chain();
    }
  }

  /** Deletes the first rule equal to this one ({@code -D CHAIN spec}). */
  record DeleteRule(IptRule rule) implements IptOp {
    @Override
    public String chain() {
      return rule.chain();
    }
  }

  /** Replaces the rule at a 1-based position ({@code -R CHAIN N spec}). */
  record ReplaceRule(IptRule rule, int position) implements IptOp {
    public ReplaceRule {
      checkArgument(position >= 1, "positions start at 1");
    }

    @Override
    public String chain() {
      return rule.chain();
    }
  }
}
