package dev.kubeproxy.api.command;

/** Runs external programs; the one way backends reach kernel tools. */
public interface CommandRunner {
  /**
   * Runs {@code command} to completion.
   *
   * @return its result (exit code 0)
   * @throws CommandException when it cannot start, times out, or exits non-zero
   */
  CommandResult run(Command command) throws CommandException;

  /** A runner that runs every command inside network namespace {@code netns}. */
  static CommandRunner inNetns(CommandRunner delegate, String netns) {
    java.util.List<String> prefix = java.util.List.of("ip", "netns", "exec", netns);
    return command -> delegate.run(command.prefixed(prefix));
  }
}
