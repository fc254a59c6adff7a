package dev.kubeproxy.model.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BoundedFrequencyRunnerTest {
  static final Duration MIN = Duration.ofSeconds(1);
  static final Duration RETRY = Duration.ofSeconds(30);
  static final Duration MAX = Duration.ofHours(1);

  final ManualScheduler scheduler = new ManualScheduler();
  final Instant t0 = scheduler.now();
  /** When each run started, relative to t0. */
  final List<Duration> runs = new ArrayList<>();
  /** Scripted outcomes of the next runs; when empty, runs succeed. */
  final Deque<Outcome> outcomes = new ArrayDeque<>();
  Duration runTakes = Duration.ZERO;

  final BoundedFrequencyRunner runner =
      new BoundedFrequencyRunner("test", this::task, scheduler, MIN, RETRY, MAX);

  private boolean task() {
    runs.add(Duration.between(t0, scheduler.now()));
    scheduler.elapse(runTakes);
    if (outcomes.isEmpty()) {
      return true;
    }
    Outcome outcome = outcomes.poll();
    if (outcome == Outcome.THROW) {
      throw new IllegalStateException("scripted failure");
    }
    return outcome == Outcome.SUCCEED;
  }

  enum Outcome { SUCCEED, FAIL, THROW }

  static Duration s(double seconds) {
    return Duration.ofMillis(Math.round(seconds * 1000));
  }

  @Test
  @DisplayName("The first request runs at once")
  void firstRequestRunsImmediately() {
    runner.start();
    runner.run();
    scheduler.runDue();
    assertThat(runs).containsExactly(Duration.ZERO);
  }

  @Test
  @DisplayName("A request made before start runs when started")
  void requestBeforeStart() {
    runner.run();
    scheduler.advance(s(5));
    assertThat(runs).isEmpty();
    runner.start();
    scheduler.runDue();
    assertThat(runs).containsExactly(s(5));
  }

  @Test
  @DisplayName("Requests coalesce: many run() calls before the run starts give one run")
  void coalesces() {
    runner.start();
    runner.run();
    scheduler.runDue();
    scheduler.advance(s(0.1));
    for (int i = 0; i < 5; i++) {
      runner.run();
    }
    scheduler.advance(s(10));
    assertThat(runs).containsExactly(Duration.ZERO, s(1));
  }

  @Test
  @DisplayName("Runs are at least minInterval apart, from the end of one to the start of the next")
  void minIntervalFromEnd() {
    runTakes = s(2);
    runner.start();
    runner.run();
    scheduler.runDue(); // runs 0s..2s
    assertThat(scheduler.now()).isEqualTo(t0.plus(s(2)));
    runner.run();
    scheduler.advance(s(0.999));
    assertThat(runs).containsExactly(Duration.ZERO);
    scheduler.advance(s(0.001));
    assertThat(runs).containsExactly(Duration.ZERO, s(3));
  }

  @Test
  @DisplayName("A request long after the last run is not delayed")
  void lateRequestRunsAtOnce() {
    runner.start();
    runner.run();
    scheduler.runDue();
    scheduler.advance(s(100));
    runner.run();
    scheduler.runDue();
    assertThat(runs).containsExactly(Duration.ZERO, s(100));
  }

  @Test
  @DisplayName("A request arriving during a run runs again minInterval after that run ends")
  void requestDuringRun() {
    BoundedFrequencyRunner[] self = new BoundedFrequencyRunner[1];
    List<Instant> starts = new ArrayList<>();
    self[0] = new BoundedFrequencyRunner("reentrant", () -> {
      starts.add(scheduler.now());
      if (starts.size() == 1) {
        self[0].run();
      }
      return true;
    }, scheduler, MIN, RETRY, MAX);
    self[0].start();
    self[0].run();
    scheduler.advance(s(10));
    assertThat(starts).containsExactly(t0, t0.plus(s(1)));
  }

  @Test
  @DisplayName("A run returning false is retried retryInterval after it ended, without a request")
  void retryAfterFalse() {
    outcomes.add(Outcome.FAIL);
    runner.start();
    runner.run();
    scheduler.runDue();
    scheduler.advance(s(29.9));
    assertThat(runs).containsExactly(Duration.ZERO);
    scheduler.advance(s(0.1));
    assertThat(runs).containsExactly(Duration.ZERO, s(30));
    scheduler.advance(s(600));
    assertThat(runs).as("no retry after success").hasSize(2);
  }

  @Test
  @DisplayName("A run that throws is retried like a failed one")
  void retryAfterThrow() {
    outcomes.add(Outcome.THROW);
    outcomes.add(Outcome.THROW);
    runner.start();
    runner.run();
    scheduler.advance(s(65));
    assertThat(runs).containsExactly(Duration.ZERO, s(30), s(60));
  }

  @Test
  @DisplayName("A request during the retry wait runs after minInterval, not after retryInterval")
  void requestBeatsRetry() {
    outcomes.add(Outcome.FAIL);
    runner.start();
    runner.run();
    scheduler.runDue();
    runner.run();
    scheduler.advance(s(5));
    assertThat(runs).containsExactly(Duration.ZERO, s(1));
  }

  @Test
  @DisplayName("With no requests a run still happens every maxInterval")
  void maxInterval() {
    runner.start();
    scheduler.advance(MAX.minusSeconds(1));
    assertThat(runs).isEmpty();
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(runs).containsExactly(MAX);
    scheduler.advance(MAX);
    assertThat(runs).containsExactly(MAX, MAX.multipliedBy(2));
  }

  @Test
  @DisplayName("maxInterval counts from the end of the last run")
  void maxIntervalFromLastRun() {
    runner.start();
    scheduler.advance(Duration.ofMinutes(10));
    runner.run();
    scheduler.runDue();
    scheduler.advance(MAX);
    assertThat(runs).containsExactly(Duration.ofMinutes(10), Duration.ofMinutes(70));
  }

  @Test
  @DisplayName("After stop nothing runs and only one timer was ever pending")
  void stop() {
    runner.start();
    runner.run();
    runner.run();
    assertThat(scheduler.pendingTasks()).isEqualTo(1);
    runner.stop();
    scheduler.advance(MAX.multipliedBy(3));
    assertThat(runs).isEmpty();
    assertThat(scheduler.pendingTasks()).isZero();
  }

  @Test
  @DisplayName("Rejects a maxInterval below minInterval")
  void validates() {
    assertThatThrownBy(() -> new BoundedFrequencyRunner("x", () -> true, scheduler,
        Duration.ofSeconds(10), RETRY, Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("Works on the real executor scheduler")
  void realScheduler() throws Exception {
    CountDownLatch ran = new CountDownLatch(2);
    try (ExecutorScheduler real = ExecutorScheduler.singleThread("runner-test")) {
      BoundedFrequencyRunner r = new BoundedFrequencyRunner("real", () -> {
        ran.countDown();
        return ran.getCount() == 0;
      }, real, Duration.ZERO, Duration.ofMillis(10), MAX);
      r.start();
      r.run();
      assertThat(ran.await(10, TimeUnit.SECONDS)).as("first run and its retry").isTrue();
      r.stop();
    }
  }
}
