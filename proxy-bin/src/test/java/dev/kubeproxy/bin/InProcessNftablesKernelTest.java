package dev.kubeproxy.bin;

import static dev.kubeproxy.bin.LabBinary.NODE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.nftables.NftablesProvider;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binary on a JDK with the foreign-function API (22+) applies its nftables changes in
 * process through libnftables: in the lab's node namespace, with an {@code nft} first on the PATH
 * that refuses {@code -f} (listings still work), {@code --once} programs the table and traffic
 * flows, and the sync loop follows a manifest edit with a partial sync; with the operator's
 * switch ({@link NftablesProvider#IN_PROCESS}{@code =false}) the same run fails on the refused
 * tool. As a control, the
 * test's own JDK, if older than 22, fails the same run on the refused tool. Where no JDK 22+ is
 * found (env {@code KPJ_JDK22_HOME}, else {@code /usr/lib/jvm/*}) the test prints the named
 * exclusion IN_PROCESS_LIBNFTABLES, or fails when {@code CI=true}.
 */
@KernelTest
class InProcessNftablesKernelTest {
  private static final int TCP_PORT = 8080;
  private static final IpAddress WEB_IP = IpAddress.parse("10.96.0.10");
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
  private static final String IN_PROCESS = "applied in process through libnftables";

  @RegisterExtension
  static final BinaryLabExtension LAB =
      BinaryLabExtension.with(
          NetnsLab.builder().localPod("client").localPod("ep-a").localPod("ep-b"));

  @TempDir Path tmp;

  @BeforeAll
  static void serveEndpoints() {
    for (String name : List.of("ep-a", "ep-b")) {
      lab().serve(lab().pod(name), Protocol.TCP, TCP_PORT);
    }
  }

  @Test
  @DisplayName("on JDK 22+ the binary programs nftables in process through libnftables (nft -f"
      + " refused): --once and the sync loop's partial syncs; JDK 17 fails on the refused tool")
  void appliesInProcess() throws Exception {
    Optional<Path> jdk = newJdk();
    if (jdk.isEmpty()) {
      String why = "no JDK 22+ (set KPJ_JDK22_HOME or install one under /usr/lib/jvm)";
      if ("true".equals(System.getenv("CI"))) {
        fail("IN_PROCESS_LIBNFTABLES cannot be tested: " + why);
      }
      System.out.println("EXCLUDED: IN_PROCESS_LIBNFTABLES (" + why + ")");
      return;
    }
    lab().exec(lab().nodeNs(), "nft", "flush", "ruleset");
    Path manifests = Files.createDirectory(tmp.resolve("manifests"));
    Files.writeString(manifests.resolve("00-node.yaml"), LabBinary.nodeManifest(NODE));
    Files.writeString(manifests.resolve("10-web.yaml"), web("ep-a"));
    Path wrappers = refusingNft();

    if (Runtime.version().feature() < 22) {
      Process control = start("control", javaOf(Path.of(System.getProperty("java.home"))),
          wrappers, manifests, "--once");
      assertThat(control.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(control.exitValue()).as("JDK %s through the refused tool: %s",
          Runtime.version().feature(), log("control")).isNotZero();
      assertThat(log("control")).contains("nft -f refused by the test");
    }

    // The operator's switch keeps a JDK 22+ on the tool: refused here, so the run fails.
    Process switchedOff = start("switched-off", javaOf(jdk.get()), wrappers, manifests, "--once");
    assertThat(switchedOff.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(switchedOff.exitValue()).as("%s", log("switched-off")).isNotZero();
    assertThat(log("switched-off")).contains("nft -f refused by the test")
        .doesNotContain(IN_PROCESS);

    Process once = start("once", javaOf(jdk.get()), wrappers, manifests, "--once");
    assertThat(once.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(once.exitValue()).as("%s", log("once")).isZero();
    assertThat(log("once")).contains(IN_PROCESS);
    assertThat(servers(probe())).isEqualTo(Set.of("ep-a"));

    Process loop = start("loop", javaOf(jdk.get()), wrappers, manifests);
    awaitServers(Set.of("ep-a"), "loop");
    Files.writeString(manifests.resolve("10-web.yaml"), web("ep-b"));
    awaitServers(Set.of("ep-b"), "loop");
    assertThat(loop.isAlive()).as("still syncing: %s", log("loop")).isTrue();
    assertThat(log("loop")).contains(IN_PROCESS).doesNotContain("sync failed");
  }

  // ---------------------------------------------------------------- the binary

  private Process start(String name, List<String> java, Path wrappers, Path manifests,
      String... extra) throws IOException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", lab().nodeNs()));
    argv.addAll(java);
    argv.addAll(List.of("--proxy-mode", "nftables", "--conntrack-max-per-core", "0",
        "--manifests", manifests.toString(), "--hostname-override", NODE,
        "--node-ip", NetnsLab.NODE_IP.toString(), "--cluster-cidr", NetnsLab.CLUSTER_CIDR.toString(),
        "--healthz-bind-address", "127.0.0.1:10256", "--metrics-bind-address", "127.0.0.1:10249"));
    argv.addAll(List.of(extra));
    ProcessBuilder builder = new ProcessBuilder(argv)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve(name + ".log").toFile()));
    builder.environment().merge("PATH", wrappers.toString(), (path, w) -> w + ":" + path);
    if (name.equals("switched-off")) {
      builder.environment().put(NftablesProvider.IN_PROCESS, "false");
    }
    return LAB.track(builder.start());
  }

  private static List<String> javaOf(Path home) {
    return List.of(home.resolve("bin").resolve("java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName());
  }

  /** A directory whose {@code nft} refuses {@code -f} and runs the real one otherwise. */
  private Path refusingNft() throws IOException, CommandException {
    String real = lab().exec(lab().nodeNs(), "sh", "-c", "command -v nft").stdout().strip();
    Path dir = Files.createDirectory(tmp.resolve("wrappers"));
    Path nft = dir.resolve("nft");
    Files.writeString(nft, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -f ] && "
        + "{ echo 'nft -f refused by the test' >&2; exit 3; }; done\nexec " + real + " \"$@\"\n");
    Files.setPosixFilePermissions(nft, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  private static NetnsLab lab() {
    return LAB.lab();
  }

  private String log(String name) throws IOException {
    Path log = tmp.resolve(name + ".log");
    return Files.exists(log) ? Files.readString(log, UTF_8) : "";
  }

  private static String web(String pod) {
    return LabBinary.service("web", WEB_IP).port("http", "TCP", 80, TCP_PORT).pods(lab(), pod).yaml();
  }

  // ---------------------------------------------------------------- traffic

  private static List<Reply> probe() {
    return lab().tcpRequests(lab().pod("client").netns(), null, WEB_IP, 80, 10, REQUEST_TIMEOUT);
  }

  private void awaitServers(Set<String> expected, String name) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<Reply> replies = probe();
    while (!servers(replies).equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      replies = probe();
    }
    assertThat(servers(replies)).as("%s; binary log %s", replies, log(name)).isEqualTo(expected);
  }

  private static Set<String> servers(List<Reply> replies) {
    Set<String> names = new TreeSet<>();
    for (Reply reply : replies) {
      names.add(reply.answered() ? reply.serverName() : reply.outcome().toString());
    }
    return names;
  }

  // ---------------------------------------------------------------- a JDK 22+

  private static final Pattern VERSION = Pattern.compile("JAVA_VERSION=\"(\\d+)");

  /** {@code KPJ_JDK22_HOME}, else the newest JDK 22+ under /usr/lib/jvm. */
  static Optional<Path> newJdk() throws IOException {
    String given = System.getenv("KPJ_JDK22_HOME");
    if (given != null && !given.isBlank()) {
      return Optional.of(Path.of(given));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> homes = Files.list(jvms)) {
      return homes.filter(home -> feature(home) >= 22 && Files.isExecutable(home.resolve("bin/java")))
          .max(Comparator.comparingInt(InProcessNftablesKernelTest::feature));
    }
  }

  private static int feature(Path home) {
    try {
      Matcher m = VERSION.matcher(Files.readString(home.resolve("release"), UTF_8));
      return m.find() ? Integer.parseInt(m.group(1)) : 0;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
