package dev.kubeproxy.model.sync;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The production {@link Scheduler}: a {@link ScheduledExecutorService} and a {@link Clock}. */
public final class ExecutorScheduler implements Scheduler, AutoCloseable {
  private final ScheduledExecutorService executor;
  private final Clock clock;

  public ExecutorScheduler(ScheduledExecutorService executor, Clock clock) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A scheduler on one daemon thread named {@code threadName} and the system clock. */
  public static ExecutorScheduler singleThread(String threadName) {
    return new ExecutorScheduler(
        Executors.newSingleThreadScheduledExecutor(
            new ThreadFactoryBuilder().setNameFormat(threadName).setDaemon(true).build()),
        Clock.systemUTC());
  }

  @Override
  public Instant now() {
    return clock.instant();
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    long nanos = Math.max(0, delay.toNanos());
    ScheduledFuture<?> future = executor.schedule(task, nanos, TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }

  /** Shuts the executor down; tasks not yet started never run. */
  @Override
  public void close() {
    executor.shutdownNow();
  }
}
