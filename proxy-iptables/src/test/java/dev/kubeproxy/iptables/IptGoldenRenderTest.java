package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.testing.SampleTables;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The full render of the all-features sample, per family, for a kernel without our chains,
 * compared exactly with reviewed golden files. Regenerate after an intended change with
 * {@code -Dgolden.update=true} and review the diff.
 */
class IptGoldenRenderTest {
  private static void check(IpFamily family, String file) throws Exception {
    Path golden = Path.of("src/test/resources/golden", file);
    String text = new IptRenderer().render(
        new IptCompiler().full(SampleTables.allFeatures(family)).transaction());
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, text, StandardCharsets.UTF_8);
    }
    assertThat(text).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
  }

  @Test
  void allFeaturesV4MatchesGolden() throws Exception {
    check(IpFamily.V4, "all-features-v4.rules");
  }

  @Test
  void allFeaturesV6MatchesGolden() throws Exception {
    check(IpFamily.V6, "all-features-v6.rules");
  }
}
