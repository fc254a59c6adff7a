package dev.kubeproxy.bin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.testing.lab.NetnsLab;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The binaries half of {@link BinaryLabExtension}, with plain shell processes in this machine's
 * namespace (no lab, no network): what a test started is stopped after it, also when it ignores
 * SIGTERM, together with what it started.
 */
class BinaryLabExtensionTest {
  private final BinaryLabExtension extension =
      BinaryLabExtension.with(NetnsLab.builder()).stopGrace(Duration.ofMillis(300));
  private final List<Process> spawned = new ArrayList<>();

  @AfterEach
  void killLeftovers() {
    for (Process p : spawned) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  @Test
  @DisplayName("after each test every tracked binary is stopped, one that ignores SIGTERM after the"
      + " grace, and so are the processes they started")
  void afterEachStopsTrackedBinariesAndTheirChildren() throws Exception {
    Process obeying = extension.track(shell("sleep 30 & echo ready; wait"));
    Process deaf = extension.track(shell("trap '' TERM; echo ready; exec sleep 30"));
    List<ProcessHandle> children = obeying.descendants().toList();
    assertThat(children).as("the obeying shell's sleep").isNotEmpty();

    extension.afterEach(null);

    assertThat(obeying.isAlive()).isFalse();
    assertThat(deaf.isAlive()).as("SIGKILLed after the grace").isFalse();
    children.forEach(child -> child.onExit().join());
    assertThat(children).noneMatch(ProcessHandle::isAlive);
  }

  @Test
  @DisplayName("a binary the test stopped itself is not stopped again by a later test's after-each")
  void afterEachForgetsWhatItStopped() throws Exception {
    Process first = extension.track(shell("echo ready; exec sleep 30"));
    extension.stopStarted();
    assertThat(first.isAlive()).isFalse();

    Process second = shell("echo ready; exec sleep 30");
    extension.afterEach(null);

    assertThat(second.isAlive()).as("not tracked").isTrue();
  }

  @Test
  @DisplayName("the lab is only there between JUnit's before-all and after-all")
  void noLabOutsideTheClass() {
    assertThatThrownBy(extension::lab).isInstanceOf(IllegalStateException.class);
  }

  /** Starts {@code sh -c script} and waits until it printed its first line ("ready"). */
  private Process shell(String script) throws IOException {
    Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
    spawned.add(p);
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
    assertThat(out.readLine()).isEqualTo("ready");
    return p;
  }
}
