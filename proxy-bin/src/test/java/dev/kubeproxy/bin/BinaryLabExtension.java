package dev.kubeproxy.bin;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the kernel test classes that run the real binary in a lab share: one {@link NetnsLab} per
 * class, built before the class's own {@code @BeforeAll} (which serves its pods) and closed after
 * all its tests, and the binaries a test started, stopped after that test. A class holds it in a
 * static {@code @RegisterExtension} field, so JUnit stops the binaries and deletes the lab's
 * namespaces also when a test or the set-up failed.
 */
final class BinaryLabExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(5);

  private final NetnsLab.Builder builder;
  private final Duration stopGrace;
  private final List<Process> started = new ArrayList<>();
  private NetnsLab lab;

  private BinaryLabExtension(NetnsLab.Builder builder, Duration stopGrace) {
    this.builder = Objects.requireNonNull(builder, "builder");
    checkArgument(!stopGrace.isNegative() && !stopGrace.isZero(), "stop grace %s", stopGrace);
    this.stopGrace = stopGrace;
  }

  /** A lab built from {@code builder} before the class's tests; binaries get 5 s to stop. */
  static BinaryLabExtension with(NetnsLab.Builder builder) {
    return new BinaryLabExtension(builder, DEFAULT_STOP_GRACE);
  }

  /** The same lab, with {@code grace} between a binary's SIGTERM and its SIGKILL. */
  BinaryLabExtension stopGrace(Duration grace) {
    return new BinaryLabExtension(builder, grace);
  }

  /** This class's lab, once JUnit has built it. */
  NetnsLab lab() {
    checkState(lab != null, "the lab is built before all tests and closed after them");
    return lab;
  }

  /** Returns {@code binary}, to be stopped after the running test (also when it failed). */
  Process track(Process binary) {
    started.add(Objects.requireNonNull(binary, "binary"));
    return binary;
  }

  /** Stops {@code binary} now (SIGTERM, SIGKILL after the grace) and anything it started. */
  void stop(Process binary) throws InterruptedException {
    LabBinary.stop(binary, stopGrace);
  }

  /** Stops every binary the running test started so far, and anything each of them started. */
  void stopStarted() throws InterruptedException {
    try {
      for (Process binary : started) {
        stop(binary);
      }
    } finally {
      started.clear();
    }
  }

  /** Builds the lab; on a failure the builder deletes what it made. */
  @Override
  public void beforeAll(ExtensionContext context) throws CommandException {
    lab = builder.build();
  }

  /** Stops the binaries the test started. */
  @Override
  public void afterEach(ExtensionContext context) throws InterruptedException {
    stopStarted();
  }

  /** Closes the lab: stops its agents and deletes its namespaces. */
  @Override
  public void afterAll(ExtensionContext context) {
    if (lab != null) {
      lab.close();
      lab = null;
    }
  }
}
