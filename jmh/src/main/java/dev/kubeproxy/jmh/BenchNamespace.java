package dev.kubeproxy.jmh;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A network namespace {@code kpj-bench-<random>} created for one benchmark run and always
 * deleted (on close, or by a shutdown hook if the JVM is interrupted), so no rule ever lands in
 * the machine's own namespace.
 */
public final class BenchNamespace implements AutoCloseable {
  private final CommandRunner host;
  private final String name;
  private final Thread deleteOnExit;
  private boolean deleted;

  private BenchNamespace(CommandRunner host, String name) {
    this.host = host;
    this.name = name;
    this.deleteOnExit = new Thread(this::deleteQuietly, "delete-" + name);
  }

  /** Creates a fresh namespace with {@code ip netns add}. */
  public static BenchNamespace create(CommandRunner host) throws CommandException {
    byte[] suffix = new byte[4];
    new SecureRandom().nextBytes(suffix);
    BenchNamespace namespace =
        new BenchNamespace(host, "kpj-bench-" + HexFormat.of().formatHex(suffix));
    host.run(Command.of("ip", "netns", "add", namespace.name));
    Runtime.getRuntime().addShutdownHook(namespace.deleteOnExit);
    return namespace;
  }

  public String name() {
    return name;
  }

  /** A runner whose commands run inside this namespace. */
  public CommandRunner runner() {
    return CommandRunner.inNetns(host, name);
  }

  @Override
  public synchronized void close() {
    deleteQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(deleteOnExit);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down and the hook is running or has run.
    }
  }

  private synchronized void deleteQuietly() {
    if (deleted) {
      return;
    }
    deleted = true;
    try {
      host.run(Command.of("ip", "netns", "delete", name));
    } catch (CommandException e) {
      System.err.println("could not delete network namespace " + name + ": " + e.getMessage());
    }
  }
}
