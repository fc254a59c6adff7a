package dev.kubeproxy.bin.manifest;

import dev.kubeproxy.model.ChangeTracker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running poll of a {@link ManifestSource}'s files that re-feeds its tracker after an edit.
 * A change is fed only once two polls in a row see the same files, so a file caught half
 * written is not programmed. {@link #close()} stops the thread.
 */
public final class ManifestWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManifestWatch.class);

  private final ManifestSource source;
  private final ChangeTracker tracker;
  private final Runnable afterFeed;
  private final ScheduledExecutorService executor;
  private Map<Path, List<Long>> previousPoll;
  private String lastError;

  private ManifestWatch(ManifestSource source, ChangeTracker tracker, Runnable afterFeed) {
    this.source = source;
    this.tracker = tracker;
    this.afterFeed = afterFeed;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "manifest-watch");
              t.setDaemon(true);
              return t;
            });
  }

  static ManifestWatch start(
      ManifestSource source, ChangeTracker tracker, Duration interval, Runnable afterFeed) {
    ManifestWatch watch = new ManifestWatch(source, tracker, afterFeed);
    long millis = Math.max(1, interval.toMillis());
    watch.executor.scheduleWithFixedDelay(watch::poll, millis, millis, TimeUnit.MILLISECONDS);
    return watch;
  }

  private void poll() {
    try {
      Map<Path, List<Long>> now = source.fingerprint();
      boolean stable = now.equals(previousPoll);
      previousPoll = now;
      if (stable && source.changedSinceFeed(now)) {
        log.info("manifests in {} changed; reloading", source.directory());
        source.feed(tracker);
        afterFeed.run();
      }
      lastError = null;
    } catch (RuntimeException | StackOverflowError e) {
      // Keep polling (the scheduler would stop on an exception); log each new error once.
      String error = e.getClass().getSimpleName() + ": " + e.getMessage();
      if (!error.equals(lastError)) {
        log.warn("cannot reload manifests from {}: {}", source.directory(), error);
        lastError = error;
      }
    } catch (Error e) {
      // Anything else (out of memory) ends the thread: never silently.
      log.error("manifest reload thread for {} stopped; later edits are not applied",
          source.directory(), e);
      throw e;
    }
  }

  /** Stops polling; waits briefly for a reload in progress to finish. */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
