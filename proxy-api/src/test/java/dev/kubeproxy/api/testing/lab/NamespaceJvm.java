package dev.kubeproxy.api.testing.lab;

import static com.google.common.base.Preconditions.checkState;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A helper JVM started inside a lab namespace ({@code ip netns exec NS java ... MAIN}) with the
 * test classpath, so that what it serves or connects to lives in that namespace and the lab stays
 * unlinked from the machine's own. It talks in lines: it prints a ready line first, then answers
 * each request line; it is expected to exit when its stdin closes ({@link #stop}). Its stderr goes
 * to a log file, quoted in every failure. The helper's own main method runs {@link #serve}.
 */
public final class NamespaceJvm {
  /** Options for a small, quick-starting helper: C1 only, serial GC, a 256 MiB heap. */
  public static final List<String> SMALL =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-XX:-UsePerfData");

  private final String what;
  private final Process process;
  private final Path log;
  private final OutputStream stdin;
  private final BufferedReader stdout;
  private String ready;

  private NamespaceJvm(String what, Process process, Path log) {
    this.what = what;
    this.process = process;
    this.log = log;
    this.stdin = process.getOutputStream();
    this.stdout = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  /**
   * Starts {@code main} in {@code netns} with {@code jvmOptions} and waits for a first line that
   * starts with {@code readyPrefix}; its stderr goes to {@code log}.
   */
  public static NamespaceJvm start(String netns, Class<?> main, List<String> jvmOptions,
      String readyPrefix, Path log) throws IOException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netns,
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    argv.addAll(jvmOptions);
    argv.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    Process process = new ProcessBuilder(argv).redirectError(log.toFile()).start();
    String what = main.getSimpleName() + " in " + netns;
    // One reader for the whole life of the helper: a second one would lose what the first
    // had buffered past the ready line.
    NamespaceJvm jvm = new NamespaceJvm(what, process, log);
    String first = jvm.stdout.readLine();
    if (first == null || !first.startsWith(readyPrefix)) {
      jvm.stop();
      throw new IOException(what + " did not start (" + first + "): " + jvm.logText());
    }
    jvm.ready = first.substring(readyPrefix.length()).strip();
    return jvm;
  }

  /** What the ready line held after its prefix (e.g. the URL the helper serves). */
  public String ready() {
    return ready;
  }

  /** Sends {@code request} as one line and returns the first answer line. */
  public synchronized String call(String request) {
    try {
      stdin.write((request + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(what + " is gone: " + logText(), e);
    }
    return readLine();
  }

  /** The next answer line (for answers of several lines). */
  public synchronized String readLine() {
    try {
      String answer = stdout.readLine();
      checkState(answer != null, "%s exited: %s", what, logText());
      return answer;
    } catch (IOException e) {
      throw new UncheckedIOException(what + ": " + logText(), e);
    }
  }

  /** Closes its stdin and waits up to 10 s for it to exit, then kills it. */
  public synchronized void stop() {
    if (!process.isAlive()) {
      return;
    }
    try {
      stdin.close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** What a helper answers to one request line (several lines joined by newlines). */
  public interface Answer {
    String to(String request) throws IOException;
  }

  /**
   * The helper's side, for its main method: prints {@code readyLine}, then answers each stdin
   * line with {@code answer}, a failure as {@code error MESSAGE}, until stdin closes.
   */
  public static void serve(String readyLine, Answer answer) throws IOException {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    out.println(readyLine);
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String reply;
      try {
        reply = answer.to(line);
      } catch (IOException | RuntimeException e) {
        reply = "error " + String.valueOf(e.getMessage()).replace('\n', ' ');
      }
      out.println(reply);
    }
  }

  /** Whether the helper is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  private String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
