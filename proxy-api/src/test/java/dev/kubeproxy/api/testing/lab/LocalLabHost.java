package dev.kubeproxy.api.testing.lab;

import static com.google.common.base.Preconditions.checkState;

import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The JVM's own machine as a {@link LabHost}: one {@link LabAgent} JVM per lab namespace. */
final class LocalLabHost implements LabHost {
  static final LocalLabHost INSTANCE = new LocalLabHost();
  private static final Duration AGENT_START_TIMEOUT = Duration.ofSeconds(20);

  private final CommandRunner runner = new ProcessCommandRunner();

  private LocalLabHost() {}

  @Override
  public CommandRunner runner() {
    return runner;
  }

  @Override
  public void kill(List<Long> pids) {
    pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  @Override
  public boolean isLocal() {
    return true;
  }

  @Override
  public LabHost.Agent startAgent(String ns, String name) {
    try {
      Path classes =
          Path.of(LabAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      Path log = Files.createTempFile(ns + "-agent", ".log");
      List<String> argv =
          List.of(
              "ip", "netns", "exec", ns,
              java.toString(),
              "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-XX:-UsePerfData",
              // LabAgent reads a connecting socket's port through the JDK's own getsockname.
              "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
              "-cp", classes.toString(),
              LabAgent.class.getName(),
              name);
      Process process =
          new ProcessBuilder(argv)
              .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      Agent agent = new Agent(ns, process, log);
      agent.awaitReady();
      return agent;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the lab agent in " + ns, e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A running {@link LabAgent}: one request line in, one answer line out. */
  private static final class Agent implements LabHost.Agent {
    private final String ns;
    private final Process process;
    private final Path log;
    private final OutputStream stdin;
    private final BufferedReader stdout;

    Agent(String ns, Process process, Path log) {
      this.ns = ns;
      this.process = process;
      this.log = log;
      this.stdin = process.getOutputStream();
      this.stdout =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    void awaitReady() throws IOException {
      // A thread of its own: the common pool may have one thread, and agents start in parallel.
      CompletableFuture<String> first =
          CompletableFuture.supplyAsync(
              this::readLine,
              runnable -> {
                Thread t = new Thread(runnable, ns + "-agent-start");
                t.setDaemon(true);
                t.start();
              });
      String line;
      try {
        line = first.get(AGENT_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        line = null;
      }
      if (!LabAgent.READY.equals(line)) {
        String log = logText();
        kill();
        awaitExit();
        throw new IOException("lab agent in " + ns + " did not start (" + line + "): " + log);
      }
    }

    @Override
    public synchronized String call(String request) {
      try {
        stdin.write((request + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
      } catch (IOException e) {
        throw new UncheckedIOException("lab agent in " + ns + " is gone: " + logText(), e);
      }
      String answer = readLine();
      checkState(answer != null, "lab agent in %s exited: %s", ns, logText());
      return answer;
    }

    private String readLine() {
      try {
        return stdout.readLine();
      } catch (IOException e) {
        return null;
      }
    }

    private String logText() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        return "(no log)";
      }
    }

    @Override
    public void close() {
      kill();
      awaitExit();
    }

    void kill() {
      process.destroyForcibly();
    }

    void awaitExit() {
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        Files.deleteIfExists(log);
      } catch (IOException e) {
        // A temp file; harmless if it stays.
      }
    }
  }
}
