package dev.kubeproxy.bin.kube;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;

/**
 * Exponential delay between consecutive failed list calls, so that a lost API server is not
 * hammered by every node at once; doubles from {@code initial} up to {@code max} and resets on
 * success. Thread-safe.
 */
final class Backoff {
  /** Roughly upstream's reflector backoff: starts below a second, caps at half a minute. */
  static final Backoff DEFAULT_PROTOTYPE = new Backoff(Duration.ofMillis(800), Duration.ofSeconds(30));

  private final Duration initial;
  private final Duration max;
  private int failures;

  Backoff(Duration initial, Duration max) {
    checkArgument(!initial.isNegative() && !initial.isZero(), "initial must be positive");
    checkArgument(max.compareTo(initial) >= 0, "max must be at least initial");
    this.initial = initial;
    this.max = max;
  }

  /** A fresh backoff with the same limits (each informer backs off on its own). */
  Backoff copy() {
    return new Backoff(initial, max);
  }

  /** How long to wait before the next attempt: zero after a success. */
  synchronized Duration delay() {
    if (failures == 0) {
      return Duration.ZERO;
    }
    // Cap the exponent so the multiplication cannot overflow.
    Duration d = initial.multipliedBy(1L << Math.min(failures - 1, 30));
    return d.compareTo(max) > 0 ? max : d;
  }

  synchronized void failed() {
    failures++;
  }

  synchronized void succeeded() {
    failures = 0;
  }
}
