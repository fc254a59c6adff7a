package dev.kubeproxy.model.sync;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * A deterministic {@link Scheduler} for tests: time moves only when the test says so, and
 * due tasks run on the test's thread in due order (ties in scheduling order). Shared through
 * proxy-model's test-jar. Not thread-safe.
 */
public final class ManualScheduler implements Scheduler {
  private final PriorityQueue<Scheduled> queue =
      new PriorityQueue<>(
          Comparator.comparing((Scheduled s) -> s.due).thenComparingLong(s -> s.sequence));
  private Instant now;
  private long sequence;

  public ManualScheduler(Instant start) {
    this.now = start;
  }

  /** A scheduler starting at 2024-01-01T00:00:00Z. */
  public ManualScheduler() {
    this(Instant.parse("2024-01-01T00:00:00Z"));
  }

  @Override
  public Instant now() {
    return now;
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    Instant due = delay.isNegative() ? now : now.plus(delay);
    Scheduled s = new Scheduled(task, due, sequence++);
    queue.add(s);
    return () -> queue.remove(s);
  }

  /** Moves time forward by {@code d}, running every task that falls due on the way. */
  public void advance(Duration d) {
    checkArgument(!d.isNegative(), "cannot go back in time");
    Instant target = now.plus(d);
    while (!queue.isEmpty() && !queue.peek().due.isAfter(target)) {
      Scheduled next = queue.poll();
      if (next.due.isAfter(now)) {
        now = next.due;
      }
      next.task.run();
    }
    if (target.isAfter(now)) {
      now = target;
    }
  }

  /** Runs the tasks due now without moving time. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves the clock without running anything: a task "taking time" calls this. */
  public void elapse(Duration d) {
    checkArgument(!d.isNegative(), "cannot go back in time");
    now = now.plus(d);
  }

  /** How many tasks are scheduled and not yet run or cancelled. */
  public int pendingTasks() {
    return queue.size();
  }

  /** When the next task falls due, or null when none is scheduled. */
  public Instant nextDue() {
    return queue.isEmpty() ? null : queue.peek().due;
  }

  private static final class Scheduled {
    final Runnable task;
    final Instant due;
    final long sequence;

    Scheduled(Runnable task, Instant due, long sequence) {
      this.task = task;
      this.due = due;
      this.sequence = sequence;
    }
  }
}
