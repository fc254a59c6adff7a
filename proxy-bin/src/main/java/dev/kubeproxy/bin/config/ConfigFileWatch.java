package dev.kubeproxy.bin.config;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Watches the {@code --config} file and calls back once when its content changes or it goes
 * away, so that the process can exit as upstream's does ("content of the proxy server's
 * configuration file was updated") and be restarted with the new file. It compares content
 * rather than watching inotify events, so a ConfigMap's symlink swap is seen too.
 */
public final class ConfigFileWatch implements AutoCloseable {
  /** Upstream's words when the file changes. */
  public static final String UPDATED = "content of the proxy server's configuration file was updated";

  private final ScheduledExecutorService timer;

  private ConfigFileWatch(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** Starts polling {@code file} every {@code interval}; {@code changed} runs at most once. */
  public static ConfigFileWatch start(Path file, Duration interval, Runnable changed) throws IOException {
    checkArgument(!interval.isNegative() && !interval.isZero(), "interval must be positive");
    byte[] original = Files.readAllBytes(file);
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "config-file-watch");
              t.setDaemon(true);
              return t;
            });
    AtomicBoolean fired = new AtomicBoolean();
    timer.scheduleWithFixedDelay(
        () -> {
          byte[] now;
          try {
            now = Files.readAllBytes(file);
          } catch (IOException e) {
            now = null;
          }
          if (!Arrays.equals(original, now) && fired.compareAndSet(false, true)) {
            changed.run();
          }
        },
        interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return new ConfigFileWatch(timer);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
