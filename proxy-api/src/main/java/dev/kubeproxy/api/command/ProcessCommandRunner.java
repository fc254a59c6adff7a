package dev.kubeproxy.api.command;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands as child processes: argument vector, stdin written from the payload, stdout
 * and stderr captured concurrently (so a chatty tool cannot block on a full pipe), killed at
 * the timeout. Never involves a shell.
 */
public final class ProcessCommandRunner implements CommandRunner {
  // Own daemon threads: the common pool has one thread on 2 cores, and two drains must overlap.
  private static final ExecutorService DRAINERS =
      Executors.newCachedThreadPool(
          runnable -> {
            Thread t = new Thread(runnable, "command-output-drain");
            t.setDaemon(true);
            return t;
          });

  @Override
  public CommandResult run(Command command) throws CommandException {
    Process process;
    try {
      process = new ProcessBuilder(command.argv()).start();
    } catch (IOException e) {
      throw new CommandException(command, "could not start: " + e.getMessage(), e);
    }
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(command.stdin());
    } catch (IOException e) {
      // The tool may exit before reading all input; its exit code and stderr tell why.
    }
    try {
      if (!process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        throw new CommandException(command, "timed out after " + command.timeout(), null);
      }
      String stdout = new String(out.join(), StandardCharsets.UTF_8);
      String stderr = new String(err.join(), StandardCharsets.UTF_8);
      int exit = process.exitValue();
      if (exit != 0) {
        throw new CommandException(command, exit, stderr);
      }
      return new CommandResult(exit, stdout, stderr);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new CommandException(command, "was interrupted", e);
    }
  }

  private static CompletableFuture<byte[]> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            stream.transferTo(buffer);
            return buffer.toByteArray();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        DRAINERS);
  }
}
