package dev.kubeproxy.bin.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.bin.config.ConntrackSettings;
import dev.kubeproxy.bin.config.NodeSetupSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Node setup as upstream's server_linux.go and conntrack.go, against a fake of the kernel files. */
class NodeSetupTest {
  private static final String NF = "/proc/sys/net/netfilter/";
  private final FakeNodeFiles files = new FakeNodeFiles();

  @BeforeEach
  void kernelDefaults() {
    files.files.put(NF + "nf_conntrack_max", "65536");
    files.files.put(NodeSetup.HASHSIZE, "16384");
    files.files.put(NF + "nf_conntrack_tcp_timeout_established", "432000");
    files.files.put(NF + "nf_conntrack_tcp_timeout_close_wait", "60");
  }

  @Test
  @DisplayName("upstream's defaults on 8 CPUs: oom_score_adj -999, nf_conntrack_max 262144, hashsize 65536, established 24h, close-wait 1h")
  void defaults() throws IOException {
    List<String> warnings = new NodeSetup(files).apply(NodeSetupSettings.DEFAULTS);

    assertThat(warnings).isEmpty();
    assertThat(files.writes)
        .containsExactly(
            "/proc/self/oom_score_adj=-999",
            NF + "nf_conntrack_max=262144",
            NodeSetup.HASHSIZE + "=65536",
            NF + "nf_conntrack_tcp_timeout_established=86400",
            NF + "nf_conntrack_tcp_timeout_close_wait=3600");
  }

  @Test
  @DisplayName("a read-only /sys is a warning, not a failure: the hash size stays, every sysctl is still set")
  void readOnlySys() throws IOException {
    files.sysWritable = false;

    List<String> warnings = new NodeSetup(files).apply(NodeSetupSettings.DEFAULTS);

    assertThat(warnings).containsExactly(NodeSetup.READ_ONLY_SYS);
    assertThat(files.writes).noneMatch(w -> w.startsWith(NodeSetup.HASHSIZE))
        .contains(NF + "nf_conntrack_max=262144", NF + "nf_conntrack_tcp_timeout_close_wait=3600");
  }

  @Test
  @DisplayName("values already in place are not written; a big enough hash size is left alone; outside the initial netns it is never touched")
  void nothingToDo() throws IOException {
    files.files.put(NF + "nf_conntrack_max", "262144");
    files.files.put(NodeSetup.HASHSIZE, "70000");
    files.files.put(NF + "nf_conntrack_tcp_timeout_established", "86400");
    files.files.put(NF + "nf_conntrack_tcp_timeout_close_wait", "3600");

    new NodeSetup(files).apply(NodeSetupSettings.DEFAULTS);
    assertThat(files.writes).containsExactly("/proc/self/oom_score_adj=-999");

    files.writes.clear();
    files.files.put(NodeSetup.HASHSIZE, "1");
    files.initialNetns = false;
    new NodeSetup(files).apply(NodeSetupSettings.DEFAULTS);
    assertThat(files.writes).containsExactly("/proc/self/oom_score_adj=-999");
  }

  @Test
  @DisplayName("maxPerCore 0 and zero timeouts leave those sysctls; be-liberal and the UDP timeouts are set when asked")
  void optionalSettings() throws IOException {
    ConntrackSettings c =
        new ConntrackSettings(0, 0, Duration.ZERO, Duration.ZERO, true, Duration.ofSeconds(30), Duration.ofMinutes(2));

    new NodeSetup(files).apply(new NodeSetupSettings(100, c));

    assertThat(files.writes)
        .containsExactly(
            "/proc/self/oom_score_adj=100",
            NF + "nf_conntrack_tcp_be_liberal=1",
            NF + "nf_conntrack_udp_timeout=30",
            NF + "nf_conntrack_udp_timeout_stream=120");
  }

  @Test
  @DisplayName("a sysctl that cannot be written stops the start naming it (as upstream); oom_score_adj failing is only a warning")
  void failures() {
    files.failing.add("/proc/self/oom_score_adj");
    files.failing.add(NF + "nf_conntrack_tcp_timeout_established");

    assertThatThrownBy(() -> new NodeSetup(files).apply(NodeSetupSettings.DEFAULTS))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("net/netfilter/nf_conntrack_tcp_timeout_established to 86400");
    assertThat(files.writes).contains(NF + "nf_conntrack_max=262144");
  }

  @Test
  @DisplayName("/sys writability from the mount table, and CPU lists as the kernel writes them")
  void hostParsing() {
    assertThat(HostNodeFiles.sysWritable(List.of(
        "22 28 0:20 / /proc rw,nosuid - proc proc rw",
        "23 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw"))).isTrue();
    assertThat(HostNodeFiles.sysWritable(List.of(
        "23 28 0:21 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro"))).isFalse();
    assertThat(HostNodeFiles.cpuListSize("0-3,6,8-9")).isEqualTo(7);
    assertThat(HostNodeFiles.cpuListSize("0")).isEqualTo(1);
  }
}
