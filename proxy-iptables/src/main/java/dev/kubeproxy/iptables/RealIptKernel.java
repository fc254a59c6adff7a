package dev.kubeproxy.iptables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The real kernel: renders a transaction and feeds it to {@code iptables-restore -w --noflush}
 * (or {@code ip6tables-restore}) on stdin, which commits each table atomically and leaves
 * chains it is not given alone. Reads with {@code iptables-save -t TABLE}. Use {@link
 * CommandRunner#inNetns} to target a network namespace.
 */
public final class RealIptKernel implements IptKernel {
  private static final Duration TIMEOUT = Duration.ofMinutes(10);

  private final CommandRunner runner;
  private final IptBinaries binaries;
  private final IptRenderer renderer = new IptRenderer();

  public RealIptKernel(CommandRunner runner, IptBinaries binaries) {
    this.runner = Objects.requireNonNull(runner);
    this.binaries = Objects.requireNonNull(binaries);
  }

  @Override
  public long apply(IpFamily family, IptTransaction transaction) throws IptException {
    if (transaction.isEmpty()) {
      return 0;
    }
    byte[] payload = renderer.render(transaction).getBytes(StandardCharsets.UTF_8);
    try {
      runner.run(Command.of(ImmutableList.of(binaries.restore(family), "-w", "--noflush"), payload)
          .withTimeout(TIMEOUT));
    } catch (CommandException e) {
      throw new IptException(binaries.restore(family) + " failed: " + e.getMessage(), e);
    }
    return payload.length;
  }

  @Override
  public IptExisting read(IpFamily family) throws IptException {
    Map<IptTable, IptExisting.Table> tables = new EnumMap<>(IptTable.class);
    for (IptTable table : IptExisting.ownTables()) {
      try {
        String save = runner.run(Command.of(binaries.save(family), "-t", table.tableName())
            .withTimeout(TIMEOUT)).stdout();
        tables.put(table, IptExisting.Table.parse(save));
      } catch (CommandException e) {
        throw new IptException(binaries.save(family) + " failed: " + e.getMessage(), e);
      }
    }
    return IptExisting.of(tables);
  }

  /** Lists only the canary chain per table ({@code iptables -w -t T -S KUBE-PROXY-CANARY}). */
  @Override
  public boolean canaryPresent(IpFamily family) throws IptException {
    for (IptTable table : IptTable.values()) {
      try {
        runner.run(Command.of(binaries.iptables(family), "-w", "-t", table.tableName(), "-S",
            IptNames.CANARY));
      } catch (CommandException e) {
        if (e.exitCode() == 1) {
          return false;
        }
        throw new IptException(binaries.iptables(family) + " failed: " + e.getMessage(), e);
      }
    }
    return true;
  }
}
