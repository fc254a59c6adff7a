package dev.kubeproxy.api.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessCommandRunnerTest {
  private final ProcessCommandRunner runner = new ProcessCommandRunner();

  @Test
  void passesStdinAndCapturesStdout() throws Exception {
    CommandResult result =
        runner.run(Command.of(List.of("cat"), "hello $(rm -rf /)".getBytes(StandardCharsets.UTF_8)));
    assertThat(result.stdout()).isEqualTo("hello $(rm -rf /)");
    assertThat(result.succeeded()).isTrue();
  }

  @Test
  void argumentsAreNotInterpretedByAShell() throws Exception {
    CommandResult result = runner.run(Command.of("echo", "a;b", "$HOME", "*"));
    assertThat(result.stdout()).isEqualTo("a;b $HOME *\n");
  }

  @Test
  void nonZeroExitCarriesStderr() {
    assertThatThrownBy(() -> runner.run(Command.of("sh", "-c", "echo broken rule >&2; exit 3")))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("exited 3")
        .hasMessageContaining("broken rule")
        .satisfies(e -> assertThat(((CommandException) e).exitCode()).isEqualTo(3));
  }

  @Test
  void largeOutputOnBothStreamsDoesNotDeadlock() throws Exception {
    CommandResult result =
        runner.run(
            Command.of("sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2")
                .withTimeout(Duration.ofSeconds(20)));
    assertThat(result.stdout()).hasSize(300000);
    assertThat(result.stderr()).hasSize(300000);
  }

  @Test
  void timeoutKillsTheProcess() {
    assertThatThrownBy(() -> runner.run(Command.of("sleep", "30").withTimeout(Duration.ofMillis(200))))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("timed out");
  }

  @Test
  void missingProgramIsReported() {
    assertThatThrownBy(() -> runner.run(Command.of("/nonexistent/tool")))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("could not start");
  }

  @Test
  void netnsPrefixWrapsTheArgumentVector() throws Exception {
    List<List<String>> seen = new java.util.ArrayList<>();
    CommandRunner recorder =
        command -> {
          seen.add(command.argv());
          return new CommandResult(0, "", "");
        };
    CommandRunner.inNetns(recorder, "lab-node").run(Command.of("nft", "-f", "-"));
    assertThat(seen).containsExactly(List.of("ip", "netns", "exec", "lab-node", "nft", "-f", "-"));
  }
}
