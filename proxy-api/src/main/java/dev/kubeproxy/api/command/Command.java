package dev.kubeproxy.api.command;

import com.google.common.collect.ImmutableList;
import java.time.Duration;
import java.util.List;

/**
 * A program to run: an argument vector (never a shell line), bytes for its stdin (may be
 * empty) and a timeout.
 */
public record Command(ImmutableList<String> argv, byte[] stdin, Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  public Command {
    if (argv == null || argv.isEmpty()) {
      throw new IllegalArgumentException("argv must not be empty");
    }
    stdin = stdin == null ? new byte[0] : stdin;
    timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
  }

  public static Command of(String... argv) {
    return new Command(ImmutableList.copyOf(argv), null, null);
  }

  public static Command of(List<String> argv, byte[] stdin) {
    return new Command(ImmutableList.copyOf(argv), stdin, null);
  }

  public Command withStdin(byte[] input) {
    return new Command(argv, input, timeout);
  }

  public Command withTimeout(Duration t) {
    return new Command(argv, stdin, t);
  }

  /** This command run through {@code prefix} (e.g. {@code ip netns exec NAME}). */
  public Command prefixed(List<String> prefix) {
    return new Command(
        ImmutableList.<String>builder().addAll(prefix).addAll(argv).build(), stdin, timeout);
  }

  @Override
  public String toString() {
    return String.join(" ", argv);
  }
}
