package dev.kubeproxy.nftables;

import dev.kubeproxy.nftables.NftOp.AddChain;
import dev.kubeproxy.nftables.NftOp.AddElement;
import dev.kubeproxy.nftables.NftOp.AddMap;
import dev.kubeproxy.nftables.NftOp.AddRule;
import dev.kubeproxy.nftables.NftOp.AddSet;
import dev.kubeproxy.nftables.NftOp.AddTable;
import dev.kubeproxy.nftables.NftOp.DeleteChain;
import dev.kubeproxy.nftables.NftOp.DeleteElement;
import dev.kubeproxy.nftables.NftOp.DeleteSet;
import dev.kubeproxy.nftables.NftOp.DeleteTable;
import dev.kubeproxy.nftables.NftOp.FlushChain;
import dev.kubeproxy.nftables.NftOp.FlushSet;
import java.util.List;

/**
 * Prints a transaction as the exact text {@code nft -f} reads, one command per line. Runs of
 * element additions or deletions on the same set are merged into one command (up to
 * {@value #ELEMENTS_PER_LINE} elements), which nft parses much faster than one line each. Pure.
 */
public final class NftRenderer {
  static final int ELEMENTS_PER_LINE = 256;

  /** The {@code nft -f} input for {@code transaction}; empty for an empty transaction. */
  public String render(NftTransaction transaction) {
    StringBuilder out = new StringBuilder();
    List<NftOp> ops = transaction.ops();
    int i = 0;
    while (i < ops.size()) {
      NftOp op = ops.get(i);
      if (op instanceof AddElement || op instanceof DeleteElement) {
        i = renderElements(ops, i, out);
      } else {
        renderOne(op, out);
        i++;
      }
    }
    return out.toString();
  }

  private static void renderOne(NftOp op, StringBuilder out) {
    String table = op.table().toString();
    if (op instanceof AddTable t) {
      out.append("add table ").append(table);
      if (t.comment() != null) {
        out.append(" { comment ").append(quote(t.comment())).append(" ; }");
      }
    } else if (op instanceof DeleteTable) {
      out.append("delete table ").append(table);
    } else if (op instanceof AddChain c) {
      out.append("add chain ").append(table).append(' ').append(c.name());
      if (c.base() != null || c.comment() != null) {
        out.append(" {");
        if (c.base() != null) {
          out.append(" type ").append(c.base().type())
              .append(" hook ").append(c.base().hook())
              .append(" priority ").append(c.base().priority()).append(" ;");
        }
        if (c.comment() != null) {
          out.append(" comment ").append(quote(c.comment())).append(" ;");
        }
        out.append(" }");
      }
    } else if (op instanceof FlushChain c) {
      out.append("flush chain ").append(table).append(' ').append(c.name());
    } else if (op instanceof DeleteChain c) {
      out.append("delete chain ").append(table).append(' ').append(c.name());
    } else if (op instanceof AddRule r) {
      out.append("add rule ").append(table).append(' ').append(r.chain()).append(' ')
          .append(r.rule().text());
      if (r.rule().comment() != null) {
        out.append(" comment ").append(quote(r.rule().comment()));
      }
    } else if (op instanceof AddSet s) {
      out.append("add set ").append(table).append(' ').append(s.name()).append(" { ")
          .append(s.keyType().keyword()).append(' ').append(s.keyType().expression()).append(" ;");
      if (!s.flags().isEmpty()) {
        out.append(" flags ").append(String.join(",", s.flags())).append(" ;");
      }
      if (s.timeoutSeconds() > 0) {
        out.append(" timeout ").append(s.timeoutSeconds()).append("s ;");
      }
      if (s.size() > 0) {
        out.append(" size ").append(s.size()).append(" ;");
      }
      if (s.comment() != null) {
        out.append(" comment ").append(quote(s.comment())).append(" ;");
      }
      out.append(" }");
    } else if (op instanceof AddMap m) {
      // With typeof keys the value needs typeof too, and vice versa (nft grammar).
      out.append("add map ").append(table).append(' ').append(m.name()).append(" { ")
          .append(m.keyType().keyword()).append(' ').append(m.keyType().expression())
          .append(" : ").append(m.valueType().expression()).append(" ;");
      if (!m.flags().isEmpty()) {
        out.append(" flags ").append(String.join(",", m.flags())).append(" ;");
      }
      if (m.comment() != null) {
        out.append(" comment ").append(quote(m.comment())).append(" ;");
      }
      out.append(" }");
    } else if (op instanceof DeleteSet s) {
      out.append("delete ").append(s.map() ? "map " : "set ").append(table).append(' ').append(s.name());
    } else if (op instanceof FlushSet s) {
      out.append("flush ").append(s.map() ? "map " : "set ").append(table).append(' ').append(s.name());
    } else {
      throw new IllegalArgumentException("unknown op " + op);
    }
    out.append('\n');
  }

  /** Renders the run of element ops starting at {@code start}; returns the index after it. */
  private static int renderElements(List<NftOp> ops, int start, StringBuilder out) {
    NftOp first = ops.get(start);
    boolean add = first instanceof AddElement;
    String set = add ? ((AddElement) first).set() : ((DeleteElement) first).set();
    out.append(add ? "add element " : "delete element ").append(first.table()).append(' ')
        .append(set).append(" { ");
    int i = start;
    while (i < ops.size() && i - start < ELEMENTS_PER_LINE && sameRun(ops.get(i), first, add, set)) {
      if (i > start) {
        out.append(", ");
      }
      if (add) {
        NftElement e = ((AddElement) ops.get(i)).element();
        out.append(e.keyText());
        if (e.comment() != null) {
          out.append(" comment ").append(quote(e.comment()));
        }
        if (!e.value().isEmpty()) {
          out.append(" : ").append(e.valueText());
        }
      } else {
        out.append(String.join(" . ", ((DeleteElement) ops.get(i)).key()));
      }
      i++;
    }
    out.append(" }\n");
    return i;
  }

  private static boolean sameRun(NftOp op, NftOp first, boolean add, String set) {
    if (!op.table().equals(first.table())) {
      return false;
    }
    if (add) {
      return op instanceof AddElement a && a.set().equals(set);
    }
    return op instanceof DeleteElement d && d.set().equals(set);
  }

  private static String quote(String comment) {
    return "\"" + comment + "\"";
  }
}
