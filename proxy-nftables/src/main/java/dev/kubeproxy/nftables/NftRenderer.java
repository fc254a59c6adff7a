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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Prints a transaction as the exact text {@code nft -f} reads, one command per line. Runs of
 * element additions or deletions on the same set are merged into one command (up to
 * {@value #ELEMENTS_PER_LINE} elements), which nft parses much faster than one line each. Pure.
 */
public final class NftRenderer {
  static final int ELEMENTS_PER_LINE = 256;
  /** From this many ops on (a full load of a large table), rendering runs on every core. */
  static final int PARALLEL_RENDER_OPS = 50_000;
  /** Slices of a parallel render: a few per core, so an uneven slice does not hold the rest up. */
  private static final int RENDER_SLICES = 8;

  /** The {@code nft -f} input for {@code transaction}; empty for an empty transaction. */
  public String render(NftTransaction transaction) {
    List<NftOp> ops = transaction.ops();
    if (ops.size() < PARALLEL_RENDER_OPS) {
      return renderLines(ops, 0, ops.size());
    }
    // A full load: its lines are cut first, then rendered in slices on every core and joined,
    // which gives the same text as one pass.
    List<Integer> lineStarts = lineStarts(ops);
    int slices = RENDER_SLICES;
    List<String> parts = IntStream.range(0, slices).parallel()
        .mapToObj(k -> {
          int from = lineStarts.get(lineStarts.size() * k / slices);
          int to = k + 1 == slices
              ? ops.size() : lineStarts.get(lineStarts.size() * (k + 1) / slices);
          return renderLines(ops, from, to);
        })
        .toList();
    StringBuilder out = new StringBuilder(parts.stream().mapToInt(String::length).sum());
    parts.forEach(out::append);
    return out.toString();
  }

  /** The text of {@code ops[from, to)}, where {@code from} starts a line and {@code to} ends one. */
  private static String renderLines(List<NftOp> ops, int from, int to) {
    StringBuilder out = new StringBuilder();
    int i = from;
    while (i < to) {
      i = renderLine(ops, i, out);
    }
    return out.toString();
  }

  /** The index of the op that starts each line {@link #render} prints. */
  private static List<Integer> lineStarts(List<NftOp> ops) {
    List<Integer> starts = new ArrayList<>();
    int i = 0;
    while (i < ops.size()) {
      starts.add(i);
      i = lineEnd(ops, i);
    }
    return starts;
  }

  /** Renders the line starting at op {@code start}; returns the index after it. */
  private static int renderLine(List<NftOp> ops, int start, StringBuilder out) {
    NftOp op = ops.get(start);
    if (op instanceof AddElement || op instanceof DeleteElement) {
      return renderElements(ops, start, out);
    }
    renderOne(op, out);
    return start + 1;
  }

  /** The index after the line that starts at op {@code start}. */
  private static int lineEnd(List<NftOp> ops, int start) {
    NftOp first = ops.get(start);
    if (!(first instanceof AddElement || first instanceof DeleteElement)) {
      return start + 1;
    }
    boolean add = first instanceof AddElement;
    String set = add ? ((AddElement) first).set() : ((DeleteElement) first).set();
    int i = start;
    while (i < ops.size() && i - start < ELEMENTS_PER_LINE && sameRun(ops.get(i), first, add, set)) {
      i++;
    }
    return i;
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
      if (m.size() > 0) {
        out.append(" size ").append(m.size()).append(" ;");
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
    int end = lineEnd(ops, start);
    for (int i = start; i < end; i++) {
      if (i > start) {
        out.append(", ");
      }
      if (add) {
        NftElement e = ((AddElement) ops.get(i)).element();
        appendJoined(e.key(), out);
        if (e.comment() != null) {
          out.append(" comment ").append(quote(e.comment()));
        }
        if (!e.value().isEmpty()) {
          out.append(" : ");
          appendJoined(e.value(), out);
        }
      } else {
        appendJoined(((DeleteElement) ops.get(i)).key(), out);
      }
    }
    out.append(" }\n");
    return end;
  }

  /** Appends {@code parts} joined by nft's concatenation operator, as the key and value read. */
  private static void appendJoined(List<String> parts, StringBuilder out) {
    for (int k = 0; k < parts.size(); k++) {
      if (k > 0) {
        out.append(" . ");
      }
      out.append(parts.get(k));
    }
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
