package dev.kubeproxy.userspace;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.SessionAffinity;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Listeners in a {@link ListenerAgent} child JVM started under {@code ip netns exec NS}: how a
 * test JVM, which stays in the machine's own namespace, runs node-mode listeners in a lab's
 * node namespace. {@link #stop()} ends the agent.
 */
final class RemoteListeners implements Listeners {
  private final Process process;
  private final OutputStream stdin;
  private final BufferedReader stdout;
  private final Path log;

  private RemoteListeners(Process process, Path log) {
    this.process = process;
    this.stdin = process.getOutputStream();
    this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.log = log;
  }

  /** Starts an agent in network namespace {@code netns} and waits for it to be ready. */
  static RemoteListeners startIn(String netns) throws IOException {
    Path log = Files.createTempFile("listener-agent-", ".log");
    Process process = new ProcessBuilder(List.of(
            "ip", "netns", "exec", netns,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-XX:-UsePerfData",
            "-cp", System.getProperty("java.class.path"), ListenerAgent.class.getName()))
        .redirectError(log.toFile())
        .start();
    RemoteListeners listeners = new RemoteListeners(process, log);
    String first = listeners.stdout.readLine();
    if (!ListenerAgent.READY.equals(first)) {
      listeners.stop();
      throw new IOException("listener agent in " + netns + " did not start (" + first + "): " + listeners.logText());
    }
    return listeners;
  }

  @Override
  public synchronized void put(ListenerSpec spec, EndpointList endpoints, SessionAffinity affinity)
      throws IOException {
    String answer = call(ListenerCodec.put(spec, endpoints, affinity));
    if (!answer.equals("ok")) {
      throw new IOException(answer);
    }
  }

  @Override
  public synchronized void remove(ListenerSpec spec) {
    checkOk(call("remove\t" + ListenerCodec.spec(spec)));
  }

  @Override
  public synchronized ImmutableSet<ListenerSpec> specs(IpFamily family) {
    checkOk(call("specs\t" + family.name()));
    ImmutableSet.Builder<ListenerSpec> out = ImmutableSet.builder();
    for (String line = readLine(); !line.equals("end"); line = readLine()) {
      out.add(ListenerCodec.spec(ListenerCodec.fields(line)));
    }
    return out.build();
  }

  /** Each open listener of {@code family} with what it was last given (endpoints, affinity) as text. */
  synchronized ImmutableMap<ListenerSpec, String> targets(IpFamily family) {
    checkOk(call("targets\t" + family.name()));
    ImmutableMap.Builder<ListenerSpec, String> out = ImmutableMap.builder();
    for (String line = readLine(); !line.equals("end"); line = readLine()) {
      List<String> f = ListenerCodec.fields(line);
      out.put(ListenerCodec.spec(f.subList(0, ListenerCodec.SPEC_FIELDS)), f.get(ListenerCodec.SPEC_FIELDS));
    }
    return out.build();
  }

  /** Ends the agent, closing its listeners. */
  synchronized void stop() {
    if (process.isAlive()) {
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
  }

  /** Closes every listener in the agent; the agent keeps running. */
  @Override
  public synchronized void close() {
    checkOk(call("close"));
  }

  private String call(String line) {
    try {
      stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("listener agent is gone: " + logText(), e);
    }
    return readLine();
  }

  private String readLine() {
    try {
      String answer = stdout.readLine();
      checkState(answer != null, "listener agent exited: %s", logText());
      return answer;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void checkOk(String answer) {
    checkState(answer.equals("ok"), "listener agent: %s", answer);
  }

  private String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
