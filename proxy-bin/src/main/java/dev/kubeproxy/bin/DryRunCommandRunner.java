package dev.kubeproxy.bin;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * {@code --dry-run}: prints what each kernel-tool command would receive on stdin (for
 * {@code nft -f -}, the exact ruleset text) and pretends it succeeded; runs nothing.
 */
final class DryRunCommandRunner implements CommandRunner {
  private final PrintWriter out;

  DryRunCommandRunner(PrintWriter out) {
    this.out = out;
  }

  @Override
  public CommandResult run(Command command) {
    if (command.stdin().length > 0) {
      out.print(new String(command.stdin(), StandardCharsets.UTF_8));
    } else {
      out.println("# would run: " + command);
    }
    out.flush();
    return new CommandResult(0, "", "");
  }
}
