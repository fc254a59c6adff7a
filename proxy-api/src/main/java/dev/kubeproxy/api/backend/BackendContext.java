package dev.kubeproxy.api.backend;

import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.command.CommandRunner;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * What a backend is built from: the runner of its kernel tools, a nanosecond clock, and the
 * facts of the host its preflight checks (kernel release, environment variables).
 */
public record BackendContext(
    CommandRunner commands,
    LongSupplier nanoClock,
    String kernelRelease,
    ImmutableMap<String, String> environment) {

  public BackendContext {
    Objects.requireNonNull(commands, "commands");
    Objects.requireNonNull(nanoClock, "nanoClock");
    kernelRelease = kernelRelease == null ? "" : kernelRelease;
    environment = environment == null ? ImmutableMap.of() : environment;
  }

  /** This host: the system clock, {@code os.version} and the process environment. */
  public static BackendContext ofHost(CommandRunner commands) {
    return new BackendContext(
        commands, System::nanoTime, System.getProperty("os.version"), copy(System.getenv()));
  }

  private static ImmutableMap<String, String> copy(Map<String, String> env) {
    return ImmutableMap.copyOf(env);
  }
}
