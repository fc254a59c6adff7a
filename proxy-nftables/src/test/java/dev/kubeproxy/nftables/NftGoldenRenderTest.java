package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.testing.SampleTables;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The full render of the all-features sample, both families, for a kernel without the tables
 * (what a first start sends: {@code add table} then everything), compared exactly with a reviewed
 * golden file. Regenerate after an intended change with {@code -Dgolden.update=true} and review
 * the diff.
 */
class NftGoldenRenderTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden/all-features.nft");

  @Test
  void allFeaturesRenderMatchesGolden() throws Exception {
    NftCompiler compiler = new NftCompiler();
    String text = new NftRenderer().render(compiler.full(SampleTables.allFeatures(IpFamily.V4))
        .transaction().then(compiler.full(SampleTables.allFeatures(IpFamily.V6)).transaction()));
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(GOLDEN, text, StandardCharsets.UTF_8);
    }
    assertThat(text).isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
  }
}
