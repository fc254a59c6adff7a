package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What {@code --dry-run --proxy-mode ipvs} prints for the all-features sample, both families, on a
 * node without anything of ours: every tool's exact input, sectioned, compared with a reviewed
 * golden file. Regenerate after an intended change with {@code -Dgolden.update=true} and review the
 * diff.
 */
class IpvsGoldenRenderTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden/all-features.ipvs");

  @Test
  void allFeaturesRenderMatchesGolden() throws Exception {
    FakeIpvsKernel kernel = new FakeIpvsKernel();
    String text =
        new IpvsBackend(kernel)
            .render(
                SyncRequest.full(
                    TableChange.initial(SampleTables.allFeatures(IpFamily.V4)),
                    TableChange.initial(SampleTables.allFeatures(IpFamily.V6))));
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(GOLDEN, text, StandardCharsets.UTF_8);
    }
    assertThat(text).isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
    assertThat(kernel.applies()).as("render touches no kernel").isZero();
  }

  @Test
  void sectionsComeInTheOrderTheToolsRun() throws Exception {
    String text =
        new IpvsBackend(new FakeIpvsKernel())
            .render(
                SyncRequest.full(
                    TableChange.initial(SampleTables.allFeatures(IpFamily.V4)),
                    TableChange.initial(SampleTables.allFeatures(IpFamily.V6))));
    assertThat(text.lines().filter(l -> l.startsWith("# ")).toList())
        .containsExactly(
            "# ipset -exist restore",
            "# ip -batch -",
            "# ipvsadm -R",
            "# sysctl -e -w",
            "# iptables-restore --noflush",
            "# ip6tables-restore --noflush");
  }
}
