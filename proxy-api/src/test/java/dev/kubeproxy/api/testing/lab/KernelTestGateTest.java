package dev.kubeproxy.api.testing.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.kubeproxy.api.testing.lab.KernelTestGate.Decision;
import dev.kubeproxy.api.testing.lab.KernelTestGate.Verdict;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The gate's decision table (DESIGN §7: skip without root, but a skip must fail CI). */
class KernelTestGateTest {
  private static final Map<String, String> NO_CI = Map.of();
  private static final Map<String, String> CI = Map.of("CI", "true");

  @Test
  @DisplayName("root with working ip netns runs, in CI or not")
  void rootWithNetnsRuns() {
    assertThat(KernelTestGate.decide(NO_CI, 0, Optional::empty).verdict()).isEqualTo(Verdict.RUN);
    assertThat(KernelTestGate.decide(CI, 0, Optional::empty).verdict()).isEqualTo(Verdict.RUN);
  }

  @Test
  @DisplayName("not root skips with a reason naming the uid, without probing namespaces")
  void notRootSkips() {
    Decision decision =
        KernelTestGate.decide(NO_CI, 1000, () -> fail("must not probe namespaces when not root"));
    assertThat(decision.verdict()).isEqualTo(Verdict.SKIP);
    assertThat(decision.reason()).contains("root").contains("1000");
  }

  @Test
  @DisplayName("not root under CI=true fails instead of skipping")
  void notRootFailsInCi() {
    Decision decision = KernelTestGate.decide(CI, 1000, Optional::empty);
    assertThat(decision.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(decision.reason()).contains("root").contains("CI=true");
  }

  @Test
  @DisplayName("root without usable ip netns skips, or fails under CI, with the probe's error")
  void brokenNetns() {
    AtomicInteger probes = new AtomicInteger();
    Decision skip =
        KernelTestGate.decide(
            NO_CI,
            0,
            () -> {
              probes.incrementAndGet();
              return Optional.of("mount --make-shared /run/netns failed");
            });
    assertThat(skip.verdict()).isEqualTo(Verdict.SKIP);
    assertThat(skip.reason()).contains("ip netns").contains("make-shared");
    assertThat(probes).hasValue(1);

    Decision ciFail =
        KernelTestGate.decide(CI, 0, () -> Optional.of("Operation not permitted"));
    assertThat(ciFail.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(ciFail.reason()).contains("Operation not permitted").contains("CI=true");
  }

  @Test
  @DisplayName("only CI=true (any case) counts as CI; other values skip")
  void ciValues() {
    assertThat(KernelTestGate.decide(Map.of("CI", "TRUE"), 5, Optional::empty).verdict())
        .isEqualTo(Verdict.FAIL);
    assertThat(KernelTestGate.decide(Map.of("CI", "false"), 5, Optional::empty).verdict())
        .isEqualTo(Verdict.SKIP);
    assertThat(KernelTestGate.decide(Map.of("CI", ""), 5, Optional::empty).verdict())
        .isEqualTo(Verdict.SKIP);
  }

  @Test
  @DisplayName("unknown uid (-1, unreadable /proc) is treated as not root")
  void unknownUid() {
    assertThat(KernelTestGate.decide(NO_CI, -1, Optional::empty).verdict())
        .isEqualTo(Verdict.SKIP);
  }
}
