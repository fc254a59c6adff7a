package dev.kubeproxy.iptables;

import static com.google.common.base.Preconditions.checkArgument;

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

  /** Service chains per preload commit on iptables-nft (see {@link NftPreload}). */
  public static final int NFT_PRELOAD_CHAINS = 500;

  /** The sysctl localhost NodePorts need. */
  static final String ROUTE_LOCALNET = "net.ipv4.conf.all.route_localnet";

  private final CommandRunner runner;
  private final IptBinaries binaries;
  private final int preloadChains;
  private final IptRenderer renderer = new IptRenderer();

  /** A kernel that sends each table in one commit (right for iptables-legacy). */
  public RealIptKernel(CommandRunner runner, IptBinaries binaries) {
    this(runner, binaries, 0);
  }

  /**
   * A kernel that, when {@code preloadChains} is positive, commits large nat step lists in
   * preload batches of that many service chains before the rest ({@link NftPreload}; for
   * iptables-nft, whose cost per commit grows with the square of the chains it names).
   */
  public RealIptKernel(CommandRunner runner, IptBinaries binaries, int preloadChains) {
    checkArgument(preloadChains >= 0, "preloadChains must not be negative");
    this.runner = Objects.requireNonNull(runner);
    this.binaries = Objects.requireNonNull(binaries);
    this.preloadChains = preloadChains;
  }

  /** A kernel for {@code binaries}, with preload batches when they are the nf_tables ones. */
  public static RealIptKernel forVariant(CommandRunner runner, IptBinaries binaries, boolean nfTables) {
    return new RealIptKernel(runner, binaries, nfTables ? NFT_PRELOAD_CHAINS : 0);
  }

  @Override
  public long apply(IpFamily family, IptTransaction transaction) throws IptException {
    if (transaction.isEmpty()) {
      return 0;
    }
    byte[] payload = restoreInput(transaction).getBytes(StandardCharsets.UTF_8);
    try {
      runner.run(Command.of(ImmutableList.of(binaries.restore(family), "-w", "--noflush"), payload)
          .withTimeout(TIMEOUT));
    } catch (CommandException e) {
      throw new IptException(binaries.restore(family) + " failed: " + e.getMessage(), e);
    }
    return payload.length;
  }

  /** The exact restore input {@link #apply} sends: preload commits of nat first, if any. */
  public String restoreInput(IptTransaction transaction) {
    if (preloadChains == 0) {
      return renderer.render(transaction);
    }
    NftPreload.Split split = NftPreload.split(transaction.ops(IptTable.NAT), preloadChains);
    StringBuilder out = new StringBuilder();
    for (ImmutableList<IptOp> commit : split.preloads()) {
      out.append('*').append(IptTable.NAT.tableName()).append('\n');
      for (IptOp op : commit) {
        out.append(renderer.line(op)).append('\n');
      }
      out.append("COMMIT\n");
    }
    out.append(renderer.render(transaction.with(IptTable.NAT, split.rest())));
    return out.toString();
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

  /** Runs {@code sysctl -w net.ipv4.conf.all.route_localnet=1} through the runner. */
  @Override
  public void enableRouteLocalnet() throws IptException {
    try {
      runner.run(Command.of("sysctl", "-w", ROUTE_LOCALNET + "=1"));
    } catch (CommandException e) {
      throw new IptException("setting " + ROUTE_LOCALNET + " failed: " + e.getMessage(), e);
    }
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
