package dev.kubeproxy.iptables;

import dev.kubeproxy.iptables.IptOp.AppendRule;
import dev.kubeproxy.iptables.IptOp.DeclareChain;
import dev.kubeproxy.iptables.IptOp.DeleteChain;
import dev.kubeproxy.iptables.IptOp.DeleteRule;
import dev.kubeproxy.iptables.IptOp.FlushChain;
import dev.kubeproxy.iptables.IptOp.InsertRule;
import dev.kubeproxy.iptables.IptOp.ReplaceRule;
import java.util.List;
import java.util.Map;

/** Renders an {@link IptTransaction} as the exact {@code iptables-restore --noflush} input. Pure. */
public final class IptRenderer {
  /** The restore input: per table {@code *table}, its steps, {@code COMMIT}. */
  public String render(IptTransaction transaction) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<IptTable, ? extends List<IptOp>> e : transaction.tables().entrySet()) {
      out.append('*').append(e.getKey().tableName()).append('\n');
      for (IptOp op : e.getValue()) {
        line(out, op);
        out.append('\n');
      }
      out.append("COMMIT\n");
    }
    return out.toString();
  }

  /** One step as one restore line. */
  public String line(IptOp op) {
    StringBuilder s = new StringBuilder();
    line(s, op);
    return s.toString();
  }

  private static void line(StringBuilder out, IptOp op) {
    if (op instanceof DeclareChain d) {
      out.append(':').append(d.chain()).append(" - [0:0]");
    } else if (op instanceof FlushChain f) {
      out.append("-F ").append(f.chain());
    } else if (op instanceof DeleteChain d) {
      out.append("-X ").append(d.chain());
    } else if (op instanceof AppendRule a) {
      out.append("-A ").append(a.chain()).append(' ').append(a.rule().spec());
    } else if (op instanceof InsertRule i) {
      out.append("-I ").append(i.chain()).append(' ').append(i.position()).append(' ')
          .append(i.rule().spec());
    } else if (op instanceof DeleteRule d) {
      out.append("-D ").append(d.chain()).append(' ').append(d.rule().spec());
    } else if (op instanceof ReplaceRule r) {
      out.append("-R ").append(r.chain()).append(' ').append(r.position()).append(' ')
          .append(r.rule().spec());
    } else {
      throw new IllegalArgumentException("unknown step " + op);
    }
  }
}
