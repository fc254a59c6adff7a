package dev.kubeproxy.iptables;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A scratch network namespace ({@code kpj-ipt-<random>}) linked to nothing, for restore checks;
 * closing it deletes it. Rules go only in here, never in the machine's own namespace.
 */
final class ScratchNetns implements AutoCloseable {
  private final String name;
  private final CommandRunner host = new ProcessCommandRunner();

  private ScratchNetns(String name) {
    this.name = name;
  }

  static ScratchNetns create() throws CommandException {
    String name = "kpj-ipt-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    new ProcessCommandRunner().run(Command.of("ip", "netns", "add", name));
    return new ScratchNetns(name);
  }

  CommandRunner runner() {
    return CommandRunner.inNetns(host, name);
  }

  @Override
  public void close() throws CommandException {
    host.run(Command.of("ip", "netns", "delete", name));
  }
}
