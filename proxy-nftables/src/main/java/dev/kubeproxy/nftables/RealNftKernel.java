package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real kernel: renders a transaction and feeds it to {@code nft -f -} on stdin, which
 * applies a file as one atomic transaction, or, when given {@link Libnftables}, applies the same
 * text in process (up to {@link #IN_PROCESS_MAX_CHARS}: changes, not full loads). Use {@link
 * CommandRunner#inNetns} to target a network namespace (the tool only: the library programs the
 * JVM's own namespace). Listings always use the tool.
 */
public final class RealNftKernel implements NftKernel {
  private static final Logger LOG = LoggerFactory.getLogger(RealNftKernel.class);
  // A full load of 250k endpoints takes nft minutes on a small node; a partial sync, milliseconds.
  private static final Duration APPLY_TIMEOUT = Duration.ofMinutes(10);

  private final CommandRunner runner;
  private final NftRenderer renderer = new NftRenderer();
  private final Libnftables inProcess; // null: through the tool
  /**
   * Larger transactions (full loads) go to the tool even with the library at hand: parsing them
   * takes nft hundreds of MiB (~570 MiB at workload M), which a process returns at exit and the
   * JVM's malloc arenas would keep; their cost is the parse, not the process start.
   */
  static final int IN_PROCESS_MAX_CHARS = 1 << 20;

  public RealNftKernel(CommandRunner runner) {
    this(runner, null);
  }

  RealNftKernel(CommandRunner runner, Libnftables inProcess) {
    this.runner = Objects.requireNonNull(runner);
    this.inProcess = inProcess;
  }

  @Override
  public long apply(NftTransaction transaction) throws NftException {
    if (transaction.isEmpty()) {
      return 0;
    }
    String text = renderer.render(transaction);
    if (inProcess != null && text.length() <= IN_PROCESS_MAX_CHARS) {
      inProcess.run(text);
      return text.length();
    }
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    try {
      runner.run(Command.of(ImmutableList.of("nft", "-f", "-"), payload).withTimeout(APPLY_TIMEOUT));
    } catch (CommandException e) {
      throw new NftException("nft -f failed: " + e.getMessage(), e);
    }
    return payload.length;
  }

  @Override
  public String list(NftTable table) throws NftException {
    try {
      return runner
          .run(Command.of("nft", "list", "table", table.family().nftFamily(), table.name()))
          .stdout();
    } catch (CommandException e) {
      throw new NftException("nft list failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code nft -t list table} (terse: no elements) and parses the object names, then lists
   * only the ClientIP affinity group maps (one {@code nft list map} each) for their slot tables.
   */
  @Override
  public ExistingObjects objects(NftTable table) throws NftException {
    String listing;
    try {
      listing = runner
          .run(Command.of("nft", "-t", "list", "table", table.family().nftFamily(), table.name()))
          .stdout();
    } catch (CommandException e) {
      if (e.exitCode() == 1 && e.stderr().contains("No such file or directory")) {
        return ExistingObjects.ABSENT;
      }
      throw new NftException("nft list failed: " + e.getMessage(), e);
    }
    ExistingObjects objects;
    try {
      objects = ExistingObjects.parse(listing);
    } catch (IllegalArgumentException e) {
      throw new NftException("cannot read table " + table + ": " + e.getMessage(), e);
    }
    return objects.withSlots(slots(table, objects.affinityMaps()));
  }

  /**
   * The slot tables of affinity group maps {@code maps}; a listing that fails or is not what this
   * backend writes costs the slots (numbered afresh, one WARN), never the sync.
   */
  private AffinitySlots slots(NftTable table, List<String> maps) {
    AffinitySlots.Builder slots = AffinitySlots.builder();
    for (String map : maps) {
      try {
        slots.addListing(Group.parse(map), runner.run(Command.of(
            "nft", "list", "map", table.family().nftFamily(), table.name(), map)).stdout());
      } catch (CommandException | IllegalArgumentException e) {
        LOG.warn("cannot read ClientIP affinity slots of {} (map {}: {}); endpoints are numbered"
            + " afresh, so some remembered clients may move once", table, map, e.getMessage());
        return AffinitySlots.NONE;
      }
    }
    return slots.build();
  }
}
