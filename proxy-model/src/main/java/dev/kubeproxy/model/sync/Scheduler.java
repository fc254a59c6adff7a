package dev.kubeproxy.model.sync;

import java.time.Duration;
import java.time.Instant;

/**
 * Time and delayed execution for the sync engine, injected so that tests run the engine on a
 * manual clock without sleeping (see {@code ManualScheduler} in the test-jar).
 */
public interface Scheduler {
  /** The current instant. */
  Instant now();

  /** Runs {@code task} once after {@code delay} (zero or negative: as soon as possible). */
  Cancellable schedule(Runnable task, Duration delay);

  /** A scheduled task that can still be called off. */
  @FunctionalInterface
  interface Cancellable {
    /** Prevents the task from running if it has not started; no effect otherwise. */
    void cancel();
  }
}
