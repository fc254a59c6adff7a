package dev.kubeproxy.model.sync;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a function on demand, but not too often and not too rarely (upstream's newer
 * bounded-frequency runner). {@link #run()} requests a run; requests made before it starts
 * coalesce into one. Runs are at least {@code minInterval} apart, measured from the end of one
 * to the start of the next; a failed run (the function returns false or throws) is retried
 * {@code retryInterval} after it ended; and a run happens {@code maxInterval} after the last
 * one even with no request. Runs never overlap. Thread-safe.
 */
public final class BoundedFrequencyRunner {
  /** The function to run; returns false (or throws) on failure to get a retry. */
  @FunctionalInterface
  public interface Task {
    boolean run() throws Exception;
  }

  private static final Logger log = LoggerFactory.getLogger(BoundedFrequencyRunner.class);

  private final String name;
  private final Task task;
  private final Scheduler scheduler;
  private final Duration minInterval;
  private final Duration retryInterval;
  private final Duration maxInterval;

  // All state below is guarded by this.
  private boolean started;
  private boolean stopped;
  private boolean running;
  private boolean requested;
  private Instant startedAt;
  private Instant lastEnd;
  private Instant retryAt;
  private Scheduler.Cancellable timer;
  private Instant timerDue;
  private long generation;

  public BoundedFrequencyRunner(
      String name,
      Task task,
      Scheduler scheduler,
      Duration minInterval,
      Duration retryInterval,
      Duration maxInterval) {
    this.name = Objects.requireNonNull(name, "name");
    this.task = Objects.requireNonNull(task, "task");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    checkArgument(!minInterval.isNegative(), "minInterval %s is negative", minInterval);
    checkArgument(retryInterval.compareTo(Duration.ZERO) > 0, "retryInterval must be positive");
    checkArgument(
        maxInterval.compareTo(minInterval) >= 0 && maxInterval.compareTo(Duration.ZERO) > 0,
        "maxInterval %s must be positive and at least minInterval %s", maxInterval, minInterval);
    this.minInterval = minInterval;
    this.retryInterval = retryInterval;
    this.maxInterval = maxInterval;
  }

  /** Starts timing: runs requested so far happen now, and the max-interval clock starts. */
  public synchronized void start() {
    checkState(!started, "%s already started", name);
    started = true;
    startedAt = scheduler.now();
    arm();
  }

  /** Requests a run as soon as the minimum interval allows. */
  public synchronized void run() {
    requested = true;
    if (started && !stopped && !running) {
      arm();
    }
  }

  /** Stops for good: no run starts after this returns (one in progress completes). */
  public synchronized void stop() {
    stopped = true;
    cancelTimer();
  }

  /** Schedules the timer for the earliest run due; called with the lock held, not running. */
  private void arm() {
    if (stopped) {
      return;
    }
    Instant now = scheduler.now();
    Instant earliest = lastEnd == null ? now : latest(now, lastEnd.plus(minInterval));
    Instant due = (lastEnd == null ? startedAt : lastEnd).plus(maxInterval);
    if (retryAt != null) {
      due = earliestOf(due, latest(retryAt, earliest));
    }
    if (requested) {
      due = earliestOf(due, earliest);
    }
    if (timer != null && due.equals(timerDue)) {
      return;
    }
    cancelTimer();
    long gen = ++generation;
    timerDue = due;
    timer = scheduler.schedule(() -> fire(gen), Duration.between(now, due));
  }

  private void fire(long gen) {
    synchronized (this) {
      if (stopped || running || gen != generation) {
        return;
      }
      timer = null;
      running = true;
      requested = false;
      retryAt = null;
    }
    boolean ok = false;
    try {
      ok = task.run();
      if (!ok) {
        log.warn("{} failed; retrying within {}", name, retryInterval);
      }
    } catch (Exception e) {
      log.warn("{} threw; retrying within {}", name, retryInterval, e);
    } finally {
      synchronized (this) {
        running = false;
        lastEnd = scheduler.now();
        if (!ok) {
          retryAt = lastEnd.plus(retryInterval);
        }
        arm();
      }
    }
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel();
      timer = null;
      timerDue = null;
    }
  }

  private static Instant latest(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant earliestOf(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
