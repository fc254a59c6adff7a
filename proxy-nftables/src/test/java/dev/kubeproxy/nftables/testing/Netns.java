package dev.kubeproxy.nftables.testing;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A scratch network namespace for nft checks ({@code kpj-check-<random>}), never linked to
 * anything; closing it deletes it. Rules go only in here, never in the machine's namespace.
 */
public final class Netns implements AutoCloseable {
  private final String name;
  private final CommandRunner host = new ProcessCommandRunner();

  private Netns(String name) {
    this.name = name;
  }

  /** Whether this process can create namespaces and run nft (root with nft installed). */
  public static boolean available() {
    return "root".equals(System.getProperty("user.name"))
        && new java.io.File("/usr/sbin/nft").canExecute();
  }

  public static Netns create(String prefix) throws CommandException {
    String name = prefix + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    new ProcessCommandRunner().run(Command.of("ip", "netns", "add", name));
    return new Netns(name);
  }

  public String name() {
    return name;
  }

  /** A runner whose commands run inside this namespace. */
  public CommandRunner runner() {
    return CommandRunner.inNetns(host, name);
  }

  @Override
  public void close() throws CommandException {
    host.run(Command.of("ip", "netns", "delete", name));
  }
}
