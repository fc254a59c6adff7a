package dev.kubeproxy.ipvs.vm;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import java.io.IOException;

/**
 * Runs commands inside the IPVS test VM through its guest agent, with the same contract as
 * {@link dev.kubeproxy.api.command.ProcessCommandRunner} on the host: argument vector, stdin
 * payload, timeout, and a {@link CommandException} holding stderr for anything but exit 0.
 */
public final class VmCommandRunner implements CommandRunner {
  private final GuestAgent agent;

  VmCommandRunner(GuestAgent agent) {
    this.agent = checkNotNull(agent, "agent");
  }

  @Override
  public CommandResult run(Command command) throws CommandException {
    AgentReply reply;
    try {
      reply = agent.run(command);
    } catch (IOException e) {
      throw new CommandException(command, "could not reach the VM's agent: " + e.getMessage(), e);
    }
    return switch (reply.status()) {
      case EXITED -> {
        if (reply.code() != 0) {
          throw new CommandException(command, reply.code(), reply.stderrText());
        }
        yield new CommandResult(0, reply.stdoutText(), reply.stderrText());
      }
      // A shell reports death by signal N as 128 + N; do the same.
      case SIGNALED -> throw new CommandException(command, 128 + reply.code(), reply.stderrText());
      case TIMED_OUT -> throw new CommandException(
          command, "timed out after " + command.timeout() + " in the VM", null);
      case NOT_STARTED -> throw new CommandException(
          command, "could not start: " + reply.stderrText().strip(), null);
    };
  }
}
