package dev.kubeproxy.ipvs.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.testing.lab.KernelTest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Proves the IPVS VM harness on the guest's real IP_VS: a connection to a virtual server on
 * {@code kube-ipvs0} reaches a pod namespace behind a veth, and {@code ipvsadm -R} takes its
 * rules on stdin. One VM serves the class and is killed when the class ends, also on failure.
 */
@KernelTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IpvsVmKernelTest {
  private static final String VIP = "10.96.0.10";
  private static final String POD_IP = "10.244.1.10";
  private static final String POD = "pod1";

  private static IpvsVm vm;
  private static CommandRunner guest;
  private static long classStart;

  @BeforeAll
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  static void bootVm() throws Exception {
    classStart = System.nanoTime();
    vm = IpvsVm.boot();
    guest = vm.runner();
    System.out.printf("IpvsVmKernelTest: boot to agent ready %d ms%n", vm.bootTime().toMillis());
  }

  @AfterAll
  static void killVm() {
    if (vm != null) {
      vm.close();
      System.out.printf(
          "IpvsVmKernelTest: whole class (build, boot, tests, kill) %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - classStart));
    }
  }

  @Test
  void connectionToVipReachesPodThroughIpvs() throws Exception {
    long start = System.nanoTime();
    run("ip", "link", "add", "kube-ipvs0", "type", "dummy");
    run("ip", "addr", "add", VIP + "/32", "dev", "kube-ipvs0");
    run("ip", "netns", "add", POD);
    run("ip", "link", "add", "veth-" + POD, "type", "veth", "peer", "name", "eth0", "netns", POD);
    run("ip", "addr", "add", "10.244.1.1/24", "dev", "veth-" + POD);
    run("ip", "link", "set", "veth-" + POD, "up");
    CommandRunner pod = CommandRunner.inNetns(guest, POD);
    pod.run(Command.of("ip", "link", "set", "lo", "up"));
    pod.run(Command.of("ip", "addr", "add", POD_IP + "/24", "dev", "eth0"));
    pod.run(Command.of("ip", "link", "set", "eth0", "up"));
    pod.run(Command.of("ip", "route", "add", "default", "via", "10.244.1.1"));
    vm.start(
        Command.of(
            "ip", "netns", "exec", POD,
            "socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo " + POD));
    assertThat(fetchOnceListening(POD_IP + ":8080")).isEqualTo(POD); // straight to the pod

    assertThatThrownBy(() -> fetch(VIP + ":80"))
        .as("nothing listens on the VIP before IPVS has a virtual server for it")
        .isInstanceOf(CommandException.class);

    run("ipvsadm", "-A", "-t", VIP + ":80", "-s", "rr");
    run("ipvsadm", "-a", "-t", VIP + ":80", "-r", POD_IP + ":8080", "-m", "-w", "1");
    assertThat(fetch(VIP + ":80")).isEqualTo(POD);

    // IPVS's own connection table shows the connection at once ...
    assertThat(run("ipvsadm", "-Lnc").stdout()).contains(POD_IP + ":8080");
    // ... its counters only after the estimator has summed the per-CPU ones (every 2 s).
    String stats = awaitStats(VIP + ":80");
    assertThat(connections(stats, "TCP  " + VIP + ":80")).as(stats).isEqualTo(1);
    assertThat(connections(stats, "-> " + POD_IP + ":8080")).as(stats).isEqualTo(1);
    System.out.printf(
        "IpvsVmKernelTest: VIP-to-pod test took %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  @Test
  void ipvsadmRestoreReadsRulesFromStdin() throws Exception {
    String rules =
        String.join(
            "\n",
            "-A -t 10.96.0.20:443 -s wrr",
            "-a -t 10.96.0.20:443 -r 10.244.1.20:8443 -m -w 3",
            "-A -u 10.96.0.20:53 -s sh",
            "-a -u 10.96.0.20:53 -r 10.244.1.21:5353 -m -w 1",
            "");
    guest.run(Command.of(List.of("ipvsadm", "-R"), rules.getBytes(StandardCharsets.UTF_8)));

    String saved = run("ipvsadm", "-Sn").stdout();
    assertThat(saved)
        .contains("-A -t 10.96.0.20:443 -s wrr")
        .contains("-a -t 10.96.0.20:443 -r 10.244.1.20:8443 -m -w 3")
        .contains("-A -u 10.96.0.20:53 -s sh")
        .contains("-a -u 10.96.0.20:53 -r 10.244.1.21:5353 -m -w 1");
    run("ipvsadm", "-D", "-t", "10.96.0.20:443");
    run("ipvsadm", "-D", "-u", "10.96.0.20:53");
  }

  @Test
  void everySchedulerAndTheGlueToolsWork() throws Exception {
    for (String scheduler :
        List.of("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh")) {
      run("ipvsadm", "-A", "-t", "10.96.1.1:80", "-s", scheduler);
      run("ipvsadm", "-D", "-t", "10.96.1.1:80");
    }

    byte[] sets = "create KPJ-TEST hash:ip,port family inet\nadd KPJ-TEST 10.96.1.1,tcp:80\n"
        .getBytes(StandardCharsets.UTF_8);
    guest.run(Command.of(List.of("ipset", "restore"), sets));
    assertThat(run("ipset", "list", "KPJ-TEST").stdout()).contains("10.96.1.1,tcp:80");

    // Upstream's glue shape: mark in KUBE-SERVICES (matching an ipset), masquerade later.
    byte[] glue = String.join("\n",
            "*nat",
            ":KUBE-SERVICES - [0:0]",
            ":KUBE-POSTROUTING - [0:0]",
            "-A OUTPUT -j KUBE-SERVICES",
            "-A POSTROUTING -j KUBE-POSTROUTING",
            "-A KUBE-SERVICES -m set --match-set KPJ-TEST dst,dst -j MARK --set-xmark 0x4000/0x4000",
            "-A KUBE-POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE",
            "COMMIT",
            "")
        .getBytes(StandardCharsets.UTF_8);
    for (String variant : List.of("legacy", "nft")) {
      guest.run(Command.of(List.of("iptables-" + variant + "-restore"), glue));
      assertThat(run("iptables-" + variant + "-save", "-t", "nat").stdout())
          .as(variant)
          .contains("-A KUBE-SERVICES -m set --match-set KPJ-TEST dst,dst -j MARK")
          .contains("-A KUBE-POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE");
      run("iptables-" + variant, "-t", "nat", "-F");
      run("iptables-" + variant, "-t", "nat", "-X");
    }
    run("ipset", "destroy", "KPJ-TEST");
    run("conntrack", "-L");
  }

  @Test
  void stdinAndStdoutAreBinarySafe() throws Exception {
    byte[] payload = new byte[3 << 20]; // larger than any pipe or port buffer
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (i * 31 + (i >>> 8));
    }
    String expected =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload));

    CommandResult sum = guest.run(Command.of(List.of("sha256sum"), payload));
    // The runner decodes stdout as UTF-8; the raw bytes come from the agent itself.
    AgentReply echoed = vm.agent().run(Command.of(List.of("cat"), payload));

    assertThat(sum.stdout()).startsWith(expected);
    assertThat(echoed.stdout()).isEqualTo(payload);
  }

  @Test
  void failuresBecomeCommandExceptions() {
    assertThatThrownBy(() -> run("sh", "-c", "echo out; echo broken >&2; exit 3"))
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e.exitCode()).isEqualTo(3);
              assertThat(e.stderr()).isEqualTo("broken\n");
            });
    assertThatThrownBy(() -> run("no-such-tool"))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("could not start");
    assertThatThrownBy(
            () -> guest.run(Command.of("sleep", "30").withTimeout(Duration.ofMillis(500))))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("timed out");
  }

  @Test
  void aBackgroundedChildDoesNotHoldTheReply() throws Exception {
    long start = System.nanoTime();

    // The sleep keeps the shell's stdout open; the agent answers once the shell itself exits.
    CommandResult result =
        guest.run(
            Command.of("sh", "-c", "sleep 60 & echo started").withTimeout(Duration.ofSeconds(30)));

    assertThat(result.stdout()).isEqualTo("started\n");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
  }

  private static CommandResult run(String... argv) throws CommandException {
    return guest.run(Command.of(argv));
  }

  /** One TCP connection from the guest's root namespace; the server's first line. */
  private static String fetch(String address) throws CommandException {
    return guest
        .run(Command.of("socat", "-T", "5", "-u", "TCP:" + address + ",connect-timeout=3", "-"))
        .stdout()
        .strip();
  }

  /** Like {@link #fetch}, retried for up to 10 s while the server starts. */
  private static String fetchOnceListening(String address) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return fetch(address);
      } catch (CommandException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /** {@code ipvsadm -Ln --stats} once {@code service} counts a connection, or after 10 s. */
  private static String awaitStats(String service) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String stats = run("ipvsadm", "-Ln", "--stats").stdout();
    while (connections(stats, "TCP  " + service) == 0 && System.nanoTime() < deadline) {
      Thread.sleep(250);
      stats = run("ipvsadm", "-Ln", "--stats").stdout();
    }
    return stats;
  }

  /** The Conns column of the {@code ipvsadm -Ln --stats} line that starts with {@code what}. */
  private static long connections(String stats, String what) {
    Matcher line =
        Pattern.compile("(?m)^\\s*" + Pattern.quote(what) + "\\s+(\\d+)\\s").matcher(stats);
    assertThat(line.find()).as("a line for %s in%n%s", what, stats).isTrue();
    return Long.parseLong(line.group(1));
  }
}
