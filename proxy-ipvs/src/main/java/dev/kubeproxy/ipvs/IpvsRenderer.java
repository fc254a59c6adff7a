package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpFamily;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders IPVS transactions as the exact input of each tool (DESIGN §6, render), in the order the
 * real kernel runs them: {@code ipset -exist restore}, {@code ip -batch -}, {@code ipvsadm -R},
 * {@code sysctl -e -w} (once ipvsadm has loaded ip_vs), then {@code iptables-restore --noflush}
 * (and {@code ip6tables-restore}). {@code ipvsadm -R} reads each line as one ipvsadm command, so
 * edits ({@code -E}, {@code -e}) and deletes ({@code -D}, {@code -d}) go through it too; it is not
 * atomic. Pure.
 */
public final class IpvsRenderer {
  /** The argument vector of each tool; the payload goes to its stdin. */
  public static final ImmutableList<String> IPSET = ImmutableList.of("ipset", "-exist", "restore");

  public static final ImmutableList<String> IP = ImmutableList.of("ip", "-batch", "-");
  public static final ImmutableList<String> IPVSADM = ImmutableList.of("ipvsadm", "-R");

  /** Sysctls go as arguments ({@code key=value} each), not on stdin; unknown keys are skipped. */
  public static final ImmutableList<String> SYSCTL = ImmutableList.of("sysctl", "-e", "-w");

  /** The {@code iptables-restore} argument vector for {@code family}. */
  public static ImmutableList<String> iptablesRestore(IpFamily family) {
    return ImmutableList.of(IpvsNames.iptables(family) + "-restore", "--noflush");
  }

  /** Every family's ipset lines. */
  public String ipsets(List<IpvsTransaction> transactions) {
    StringBuilder out = new StringBuilder();
    for (IpvsTransaction t : transactions) {
      for (IpsetOp op : t.ipsets()) {
        out.append(op.line()).append('\n');
      }
    }
    return out.toString();
  }

  /** Every family's device and address lines. */
  public String addresses(List<IpvsTransaction> transactions) {
    StringBuilder out = new StringBuilder();
    boolean device = false;
    for (IpvsTransaction t : transactions) {
      if (t.createDevice() && !device) {
        out.append("link add ").append(IpvsNames.DUMMY_DEVICE).append(" type dummy\n");
        device = true;
      }
    }
    for (IpvsTransaction t : transactions) {
      for (AddressOp op : t.addresses()) {
        out.append(op.line()).append('\n');
      }
    }
    return out.toString();
  }

  /** Every family's ipvsadm lines. */
  public String ipvs(List<IpvsTransaction> transactions) {
    StringBuilder out = new StringBuilder();
    for (IpvsTransaction t : transactions) {
      for (IpvsOp op : t.ipvs()) {
        out.append(String.join(" ", op.args())).append('\n');
      }
    }
    return out.toString();
  }

  /** Every family's sysctls, each {@code key=value} once, in order. */
  public ImmutableList<String> sysctls(List<IpvsTransaction> transactions) {
    Map<String, String> merged = new LinkedHashMap<>();
    for (IpvsTransaction t : transactions) {
      merged.putAll(t.sysctls());
    }
    ImmutableList.Builder<String> out = ImmutableList.builder();
    merged.forEach((key, value) -> out.add(key + "=" + value));
    return out.build();
  }

  /** One family's iptables-restore input; empty when its glue does not change. */
  public String glue(IpvsTransaction t) {
    StringBuilder out = new StringBuilder();
    for (String table : List.of("nat", "filter")) {
      List<GlueChain> chains = t.glue().stream().filter(c -> c.table().equals(table)).toList();
      List<GlueJump> jumps = t.jumps().stream().filter(j -> j.table().equals(table)).toList();
      if (chains.isEmpty() && jumps.isEmpty()) {
        continue;
      }
      out.append('*').append(table).append('\n');
      for (GlueChain c : chains) {
        out.append(':').append(c.chain()).append(" - [0:0]\n");
      }
      for (GlueJump j : jumps) {
        out.append("-I ").append(j.chain()).append(' ').append(join(j.args())).append('\n');
      }
      for (GlueChain c : chains) {
        for (List<String> rule : c.rules()) {
          out.append("-A ").append(c.chain()).append(' ').append(join(rule)).append('\n');
        }
      }
      out.append("COMMIT\n");
    }
    return out.toString();
  }

  /** Everything, sectioned by tool, for {@code --dry-run}. */
  public String render(List<IpvsTransaction> transactions) {
    StringBuilder out = new StringBuilder();
    section(out, IPSET, ipsets(transactions));
    section(out, IP, addresses(transactions));
    section(out, IPVSADM, ipvs(transactions));
    List<String> sysctls = sysctls(transactions);
    section(out, SYSCTL, sysctls.isEmpty() ? "" : String.join("\n", sysctls) + "\n");
    for (IpvsTransaction t : transactions) {
      section(out, iptablesRestore(t.family()), glue(t));
    }
    return out.toString();
  }

  private static void section(StringBuilder out, List<String> argv, String payload) {
    if (!payload.isEmpty()) {
      out.append("# ").append(String.join(" ", argv)).append('\n').append(payload);
    }
  }

  /** Joins rule arguments, double-quoting those with spaces (comments; never user text). */
  static String join(List<String> args) {
    StringBuilder out = new StringBuilder();
    for (String a : args) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(a.indexOf(' ') >= 0 ? "\"" + a + "\"" : a);
    }
    return out.toString();
  }
}
