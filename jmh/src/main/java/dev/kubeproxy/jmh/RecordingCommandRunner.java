package dev.kubeproxy.jmh;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import java.util.Objects;

/**
 * A runner that remembers the last command it ran (with its stdin: the exact {@code nft -f}
 * text the backend rendered) and how long that process took, so the kernel benchmark can split
 * a sync into our work and the tool's. Not thread-safe.
 */
public final class RecordingCommandRunner implements CommandRunner {
  private final CommandRunner delegate;
  private Command last;
  private long lastNanos;

  public RecordingCommandRunner(CommandRunner delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public CommandResult run(Command command) throws CommandException {
    long start = System.nanoTime();
    try {
      return delegate.run(command);
    } finally {
      lastNanos = System.nanoTime() - start;
      last = command;
    }
  }

  /** The last command run, or null when none was. */
  public Command last() {
    return last;
  }

  /** Wall time of the last command, from fork to exit, in nanoseconds. */
  public long lastNanos() {
    return lastNanos;
  }

  /** Forgets the last command, so that a sync that ran none can be told apart. */
  public void reset() {
    last = null;
    lastNanos = 0;
  }
}
