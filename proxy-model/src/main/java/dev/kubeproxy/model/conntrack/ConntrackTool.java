package dev.kubeproxy.model.conntrack;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Objects;

/**
 * Reconciles one family's UDP conntrack entries through the {@code conntrack} tool (1.4.7):
 * one {@code conntrack -L} lists them, {@link ConntrackReconciler} picks the stale ones, and one
 * {@code conntrack -R /dev/stdin} process deletes them, reading one {@code -D} filter a line.
 *
 * <p>Each {@code -D} line walks the whole table in the kernel (about 70 ms a line at 20,000
 * entries here), so exact per-entry lines would cost entries x table; the batch holds one line
 * per {@link ConntrackFilter} (frontend, stale reply source) instead, usually a handful. In
 * batch mode the tool prints each deleted entry on stdout and no summary, so the deleted count
 * is the number of those lines.
 */
public final class ConntrackTool {
  /** The batch deletion command; its stdin is {@link #batch}. */
  static final ImmutableList<String> DELETE_ARGV = ImmutableList.of("conntrack", "-R", "/dev/stdin");

  private final CommandRunner runner;

  public ConntrackTool(CommandRunner runner) {
    this.runner = Objects.requireNonNull(runner, "runner");
  }

  /** What one reconcile found and did. */
  public record Outcome(int listed, int malformed, int stale, int filters, int deleted) {}

  /** Lists {@code table}'s family's UDP entries, deletes the stale ones, says what it did. */
  public Outcome reconcile(ForwardingTable table) throws CommandException {
    ConntrackListing listing = list(table.family());
    ConntrackReconciler.Result result = ConntrackReconciler.reconcile(table, listing.entries());
    int deleted = delete(result.filters());
    return new Outcome(listing.entries().size(), listing.malformed(), result.stale().size(),
        result.filters().size(), deleted);
  }

  /** Every UDP conntrack entry of {@code family}, in one {@code conntrack -L}. */
  public ConntrackListing list(IpFamily family) throws CommandException {
    String output = runner.run(Command.of(listArgv(family).toArray(String[]::new))).stdout();
    return ConntrackListing.parse(output);
  }

  /** Deletes what {@code filters} match in one process; returns how many entries went. */
  public int delete(Collection<ConntrackFilter> filters) throws CommandException {
    if (filters.isEmpty()) {
      return 0;
    }
    String stdout = runner.run(Command.of(DELETE_ARGV, batch(filters))).stdout();
    return (int) stdout.lines().filter(line -> !line.isBlank()).count();
  }

  /** The listing command of {@code family}. */
  static ImmutableList<String> listArgv(IpFamily family) {
    return ImmutableList.of("conntrack", "-L", "-f", family == IpFamily.V4 ? "ipv4" : "ipv6",
        "-p", "udp", "-o", "extended");
  }

  /** The {@code -R} input: one {@code -D} line per filter. */
  static byte[] batch(Collection<ConntrackFilter> filters) {
    StringBuilder s = new StringBuilder();
    for (ConntrackFilter f : filters) {
      s.append(String.join(" ", f.deleteArgs())).append('\n');
    }
    return s.toString().getBytes(StandardCharsets.US_ASCII);
  }
}
