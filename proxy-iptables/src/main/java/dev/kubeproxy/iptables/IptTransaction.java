package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.backend.kit.KernelTransaction;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one {@code iptables-restore --noflush} run does for one IP family: per table, steps in
 * order. Each table is committed atomically by the tool; tables without steps are left out.
 */
public record IptTransaction(ImmutableMap<IptTable, ImmutableList<IptOp>> tables)
    implements KernelTransaction {
  public static final IptTransaction EMPTY = new IptTransaction(ImmutableMap.of());

  /** The steps for {@code table}, empty when it is not touched. */
  public ImmutableList<IptOp> ops(IptTable table) {
    return tables.getOrDefault(table, ImmutableList.of());
  }

  /** This transaction with {@code table}'s steps replaced by {@code ops} (left out when empty). */
  public IptTransaction with(IptTable table, List<IptOp> ops) {
    Builder b = builder();
    for (IptTable t : IptTable.values()) {
      b.addAll(t, t == table ? ops : ops(t));
    }
    return b.build();
  }

  /** The number of steps over all tables. */
  @Override
  public int size() {
    int n = 0;
    for (ImmutableList<IptOp> ops : tables.values()) {
      n += ops.size();
    }
    return n;
  }

  @Override
  public boolean isEmpty() {
    return tables.isEmpty();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects steps per table; {@link #build} orders tables filter, nat, mangle. */
  public static final class Builder {
    private final Map<IptTable, List<IptOp>> tables = new EnumMap<>(IptTable.class);

    public Builder add(IptTable table, IptOp op) {
      tables.computeIfAbsent(table, t -> new ArrayList<>()).add(op);
      return this;
    }

    public Builder addAll(IptTable table, List<? extends IptOp> ops) {
      for (IptOp op : ops) {
        add(table, op);
      }
      return this;
    }

    public IptTransaction build() {
      ImmutableMap.Builder<IptTable, ImmutableList<IptOp>> b = ImmutableMap.builder();
      for (Map.Entry<IptTable, List<IptOp>> e : tables.entrySet()) {
        if (!e.getValue().isEmpty()) {
          b.put(e.getKey(), ImmutableList.copyOf(e.getValue()));
        }
      }
      return new IptTransaction(b.build());
    }
  }
}
