package dev.kubeproxy.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.jmh.BinaryBenchmark.ColdStart;
import dev.kubeproxy.jmh.BinaryBenchmark.CpuLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinaryBenchmarkTest {
  private static String line(String cmd, String arg, long startMs, long endMs, int user, int sys,
      int children, int maxRss, int parentUser, int parentSys, int parentChildren, int hwm) {
    return String.format("cputime cmd=%s arg=%s start_ns=%d end_ns=%d user_ms=%d sys_ms=%d"
            + " children_user_ms=%d children_sys_ms=0 maxrss_kib=%d parent_user_ms=%d"
            + " parent_sys_ms=%d parent_children_ms=%d parent_hwm_kib=%d", cmd, arg,
        startMs * 1_000_000, endMs * 1_000_000, user, sys, children, maxRss, parentUser,
        parentSys, parentChildren, hwm);
  }

  @Test
  void coldStartCountsUpToTheFullSyncCommit() {
    List<CpuLine> lines = List.of(
        line("nft", "--version", 1_000, 1_010, 3, 2, 0, 5_000, 400, 100, 20, 90_000),
        line("nft", "-t", 1_500, 1_520, 6, 4, 0, 6_000, 900, 100, 40, 120_000),
        line("nft", "-f", 3_000, 7_000, 2_500, 1_000, 0, 600_000, 9_000, 1_000, 60, 400_000),
        line("java", "-XX:+UseSerialGC", 0, 30_000, 20_000, 2_000, 30_000, 600_000, 0, 0, 0, 0))
        .stream().map(CpuLine::parse).toList();

    ColdStart start = ColdStart.of(lines);

    assertThat(start.commitMs()).isEqualTo(7_000.0);
    assertThat(start.javaCpuMs()).isEqualTo(10_000.0);
    assertThat(start.nftCpuMs()).isEqualTo(5 + 10 + 3_500.0);
    // 60 ms reaped by the JVM before the commit, of which the two earlier nft runs were 15.
    assertThat(start.otherToolsCpuMs()).isEqualTo(45.0);
    assertThat(start.javaHwmKib()).isEqualTo(400_000);
    assertThat(start.nftMaxRssKib()).isEqualTo(600_000);
  }

  @Test
  void coldStartNeedsTheFullSync() {
    List<CpuLine> lines = List.of(CpuLine.parse(
        line("java", "-jar", 0, 10, 1, 1, 0, 1, 0, 0, 0, 0)));
    assertThatThrownBy(() -> ColdStart.of(lines)).hasMessageContaining("nft -f");
  }

  @Test
  void aLineWithAMissingFieldIsRefused() {
    assertThatThrownBy(() -> CpuLine.parse("cputime cmd=nft arg=-f start_ns=1"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theDefaultOptionsAreTheLaunchers() throws Exception {
    String launcher = Files.readString(Path.of("../proxy-bin/src/main/sh/kube-proxy-java"));
    String options = launcher.substring(launcher.indexOf("exec java ") + "exec java ".length(),
        launcher.indexOf("${cds}")).replaceAll("\\\\\n", " ").replaceAll("\\s+", " ").strip();
    assertThat(options).isEqualTo(KernelBenchmark.LAUNCHER_JVM);
  }

  @Test
  void manifestsHoldEveryServiceAndSlice(@TempDir Path dir) throws Exception {
    Workload workload = Workload.generate(2_500, 3, 7);

    int files = WorkloadManifests.write(workload, dir);

    assertThat(files).isEqualTo(3); // the Node, then 2,000 + 500 objects
    String all = Files.readString(dir.resolve("01-objects.yaml"))
        + Files.readString(dir.resolve("02-objects.yaml"));
    assertThat(all.split("\nkind: Service\n", -1)).hasSize(2_501);
    assertThat(all.split("\nkind: EndpointSlice\n", -1)).hasSize(2_501);
    assertThat(all).contains("kubernetes.io/service-name: svc-2499\n");
    assertThat(Files.readString(dir.resolve("00-node.yaml"))).contains("name: " + Workload.NODE);
  }
}
