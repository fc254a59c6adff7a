package dev.kubeproxy.bin.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** One {@link BoundedYaml} reused across documents resolves scalars as a fresh SnakeYAML does. */
class BoundedYamlTest {
  // Plain scalars of every implicit type, each used twice so the second use is remembered.
  private static final String DOCUMENT = String.join("\n",
      "a: [yes, no, on, off, true, False, ~, null, '', 80, -7, 0x1F, 0o17, 017, 0b101, 1_000,",
      "    1.5, .inf, -.Inf, .nan, 1e3, 190:20:30, TCP, node-1, 10.96.0.1, '80', \"true\"]",
      "b: [yes, no, on, off, true, False, ~, null, '', 80, -7, 0x1F, 0o17, 017, 0b101, 1_000,",
      "    1.5, .inf, -.Inf, .nan, 1e3, 190:20:30, TCP, node-1, 10.96.0.1, '80', \"true\"]",
      "");

  @Test
  void reusedParserResolvesLikeAFreshOne() {
    BoundedYaml yaml = BoundedYaml.create();
    Object expected = new Yaml(new SafeConstructor(new LoaderOptions())).load(DOCUMENT);

    Object first = yaml.load(DOCUMENT);
    Object second = yaml.load(DOCUMENT);

    assertThat(first.toString()).isEqualTo(expected.toString());
    assertThat(second.toString()).isEqualTo(expected.toString());
  }

  @Test
  void aRefusedDocumentLeavesTheParserUsable() {
    BoundedYaml yaml = BoundedYaml.create();
    assertThatThrownBy(() -> yaml.load("a: &x [*x]\n"))
        .isInstanceOf(BoundedYaml.LimitException.class);
    assertThatThrownBy(() -> yaml.load("a: 1\na: 2\n")).isNotNull();

    assertThat(yaml.load("a: 80\nb: yes\n").toString()).isEqualTo("{a=80, b=true}");
  }
}
