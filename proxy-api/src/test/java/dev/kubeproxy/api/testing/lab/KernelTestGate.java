package dev.kubeproxy.api.testing.lab;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Decides whether a {@link KernelTest} runs, is skipped, or fails the build. */
public final class KernelTestGate {
  /** What to do with a kernel test. */
  public enum Verdict {
    RUN,
    SKIP,
    FAIL
  }

  /** A verdict and the reason a person reads in the test report. */
  public record Decision(Verdict verdict, String reason) {}

  private static Decision current;

  private KernelTestGate() {}

  /**
   * The decision for an environment: run as root when network namespaces work; otherwise skip,
   * unless {@code CI=true}, where a skip would hide missing coverage and so fails.
   *
   * @param env the environment variables
   * @param euid the effective user id
   * @param netnsProblem why {@code ip netns} is unusable, or empty; asked only when root
   */
  public static Decision decide(
      Map<String, String> env, long euid, Supplier<Optional<String>> netnsProblem) {
    checkNotNull(env, "env");
    String problem;
    if (euid != 0) {
      problem = "kernel test needs root (effective uid " + euid + ")";
    } else {
      Optional<String> netns = netnsProblem.get();
      if (netns.isEmpty()) {
        return new Decision(Verdict.RUN, "root and ip netns usable");
      }
      problem = "kernel test needs ip netns: " + netns.get();
    }
    if ("true".equalsIgnoreCase(env.getOrDefault("CI", "").trim())) {
      return new Decision(Verdict.FAIL, problem + "; CI=true, where kernel tests must run");
    }
    return new Decision(Verdict.SKIP, problem);
  }

  /** The decision for this JVM, probed once. */
  public static synchronized Decision current() {
    if (current == null) {
      current = decide(System.getenv(), effectiveUid(), KernelTestGate::probeNetns);
    }
    return current;
  }

  /** The effective uid from {@code /proc/self/status}, or -1 when it cannot be read. */
  static long effectiveUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or an unexpected format: treat as not root.
    }
    return -1;
  }

  /** Creates and deletes a throwaway namespace; returns why that failed, if it did. */
  private static Optional<String> probeNetns() {
    ProcessCommandRunner runner = new ProcessCommandRunner();
    String name = NetnsLab.newPrefix() + "probe";
    try {
      runner.run(Command.of("ip", "netns", "add", name));
    } catch (CommandException e) {
      return Optional.of(e.getMessage());
    }
    try {
      runner.run(Command.of("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"));
      return Optional.empty();
    } catch (CommandException e) {
      return Optional.of(e.getMessage());
    } finally {
      try {
        runner.run(Command.of("ip", "netns", "delete", name));
      } catch (CommandException e) {
        // NetnsLab.cleanupLeftovers() removes it later: its name carries our dead pid.
      }
    }
  }
}
