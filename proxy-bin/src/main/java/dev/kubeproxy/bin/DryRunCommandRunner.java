package dev.kubeproxy.bin;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * {@code --dry-run}: prints what each kernel-tool command would receive on stdin (for
 * {@code nft -f -}, the exact ruleset text) and pretends it succeeded; runs nothing. Commands
 * that only read the kernel (no stdin, e.g. {@code nft list table}) answer as a fresh node
 * would, "No such file or directory", so the output is the transaction for an empty kernel.
 */
final class DryRunCommandRunner implements CommandRunner {
  private final PrintWriter out;

  DryRunCommandRunner(PrintWriter out) {
    this.out = out;
  }

  @Override
  public CommandResult run(Command command) throws CommandException {
    if (command.stdin().length == 0) {
      throw new CommandException(command, 1, "Error: No such file or directory (dry run: nothing is read)");
    }
    out.print(new String(command.stdin(), StandardCharsets.UTF_8));
    out.flush();
    return new CommandResult(0, "", "");
  }
}
