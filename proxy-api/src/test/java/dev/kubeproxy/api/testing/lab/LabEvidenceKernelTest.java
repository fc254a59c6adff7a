package dev.kubeproxy.api.testing.lab;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import dev.kubeproxy.api.testing.lab.Reply.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure forensics of steady-traffic tests: a failed request names its real source port,
 * the node's conntrack event log records that flow, stops with its owner, and stays bounded.
 */
@KernelTest
class LabEvidenceKernelTest {
  private static final int TCP_PORT = 8080;
  private static final int CLOSED_PORT = 9;
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private static NetnsLab lab;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws CommandException {
    lab = NetnsLab.builder().localPod("client").localPod("ep-a").build();
    lab.serve(lab.pod("ep-a"), Protocol.TCP, TCP_PORT);
    // A namespace tracks connections only once a rule needs conntrack.
    String rules =
        "table inet lab-ct {\n"
            + "  chain tracked { type filter hook forward priority 0; ct state new counter; }\n"
            + "}\n";
    lab.nodeRunner().run(Command.of(List.of("nft", "-f", "-"), rules.getBytes(UTF_8)));
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @DisplayName("the node's event log holds a failed TCP and UDP request's flow by its source port")
  void logRecordsTheFailedFlowBySourcePort() throws Exception {
    Path file = tmp.resolve("events.log");
    Reply tcp;
    Reply udp;
    ConntrackEventLog log = ConntrackEventLog.start(lab, lab.nodeNs(), file);
    try (log) {
      assertThat(log.active()).as("conntrack runs: %s", Files.readString(file)).isTrue();
      assertThat(conntrackProcessesInNode()).as("conntrack runs in the node").hasSize(1);
      tcp = lab.tcpRequest(lab.pod("client").netns(), lab.pod("ep-a").ipv4(), CLOSED_PORT,
          TIMEOUT);
      udp = lab.udpRequest(lab.pod("client").netns(), lab.pod("ep-a").ipv6(), CLOSED_PORT,
          TIMEOUT);
    }
    assertThat(tcp.outcome()).as("%s", tcp).isEqualTo(Outcome.REFUSED);
    assertThat(udp.outcome()).as("%s", udp).isEqualTo(Outcome.REFUSED);
    // TCP from the kernel's port choice (connect's allocator): the port is read while the
    // connect is under way; UDP binds first, so its port is known.
    assertThat(tcp.text())
        .matches(".* src=\\*:\\d+ at=\\d\\d:\\d\\d:\\d\\d\\.\\d{3} took=\\d+ms t=\\d+");
    int tcpPort = tcp.sourcePort().orElseThrow();
    long[] during = tcp.failedDuring().orElseThrow();
    assertThat(log.linesBetween(during[0] - 20, during[1] + 20, 50))
        .as("the TCP probe's flow, also found by its time")
        .anyMatch(line -> line.contains("[NEW] tcp") && line.contains(" sport=" + tcpPort + " "));
    int udpPort = udp.sourcePort().orElseThrow();

    String events = Files.readString(file);
    assertThat(events)
        .as("events of the node")
        .containsPattern("\\[NEW\\] tcp .* dst=" + lab.pod("ep-a").ipv4()
            + " sport=" + tcpPort + " dport=" + CLOSED_PORT + " .*id=\\d+")
        .containsPattern("\\[NEW\\] udp .* dst=" + lab.pod("ep-a").ipv6()
            + " sport=" + udpPort + " dport=" + CLOSED_PORT + " ")
        .containsPattern("(?m)^\\[\\d+\\.\\d{6}\\]")
        // Stopped by SIGTERM with its pipe still read: conntrack's own last words are in the file.
        .endsWith(" flow events have been shown.\n");
    assertThat(log.linesWithPorts(Set.of(tcpPort), 50))
        .isNotEmpty()
        .allMatch(line -> line.contains("port=" + tcpPort + " "));
    assertThat(log.linesWithPorts(Set.of(tcpPort), 1)).hasSize(1);
    assertThat(conntrackProcessesInNode()).as("conntrack stopped with its log").isEmpty();
  }

  @Test
  @DisplayName("the report: failed probes, the files, their flows' events; empty if all answered")
  void reportNamesProbesFilesAndEvents() throws Exception {
    List<Reply> replies = new ArrayList<>();
    LabEvidence evidence = LabEvidence.start(lab, "LabEvidenceKernelTest");
    try (evidence) {
      replies.addAll(lab.tcpRequests(lab.pod("client").netns(), null, lab.pod("ep-a").ipv4(),
          TCP_PORT, 3, TIMEOUT));
      assertThat(evidence.report(replies)).isEmpty();
      evidence.snapshotAtFirstFailure(replies);
      assertThat(evidence.snapshot()).as("no snapshot while every probe is answered").isNull();

      replies.add(lab.tcpRequest(lab.pod("client").netns(), lab.pod("ep-a").ipv4(), CLOSED_PORT,
          TIMEOUT));
      evidence.snapshotAtFirstFailure(replies);
      Path snapshot = evidence.snapshot();
      assertThat(snapshot).isNotNull();
      assertThat(Files.readString(snapshot))
          .contains("## nft list ruleset", "table inet lab-ct", "## ip route", "## ip -s link",
              "## conntrack -S", "cpu=0");

      String report = evidence.report(replies);
      System.out.print("LabEvidence report of one refused probe:\n" + report);
      int port = replies.get(3).sourcePort().orElseThrow();
      assertThat(report)
          .startsWith("1 failed of 4 probes:\n  REFUSED ")
          .contains("src=*:" + port, evidence.events().file().toString(), snapshot.toString())
          .containsPattern("\\n  \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[\\d+\\.\\d{6}\\]\\s+"
              + "\\[NEW\\] tcp .*sport=" + port + " dport=" + CLOSED_PORT + " ");
      assertThat(evidence.events().file()).startsWith(LabEvidence.DIRECTORY);
      assertThat(Files.readString(evidence.events().file()))
          .as("the log is complete once the report is made")
          .endsWith(" flow events have been shown.\n");
    }
    assertThat(conntrackProcessesInNode()).isEmpty();
  }

  @Test
  @DisplayName("the log stops at its cap and says so; it starts only in the lab's namespaces")
  void boundedAndOnlyInTheLab() throws Exception {
    Path file = tmp.resolve("capped.log");
    long cap = 600;
    try (ConntrackEventLog log = ConntrackEventLog.start(lab, lab.nodeNs(), file, cap)) {
      lab.tcpRequests(lab.pod("client").netns(), null, lab.pod("ep-a").ipv4(), TCP_PORT, 10,
          TIMEOUT);
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (!log.capped() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(log.capped()).isTrue();
    }
    String text = Files.readString(file);
    assertThat(text).endsWith("stopped at the cap of 600 bytes; later events were not recorded\n");
    assertThat(text.length() - text.lines().reduce((a, b) -> b).orElseThrow().length() - 1)
        .as("bytes before the cap note").isLessThanOrEqualTo((int) cap);
    assertThat(conntrackProcessesInNode()).isEmpty();

    assertThatThrownBy(() -> ConntrackEventLog.start(lab, "some-other-ns", tmp.resolve("x")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** The pids of conntrack processes in the lab's node namespace. */
  private static List<String> conntrackProcessesInNode() throws Exception {
    String pids =
        new ProcessCommandRunner().run(Command.of("ip", "netns", "pids", lab.nodeNs())).stdout();
    List<String> found = new ArrayList<>();
    for (String pid : pids.split("\\s+")) {
      Path comm = Path.of("/proc", pid, "comm");
      if (!pid.isBlank() && Files.exists(comm)
          && Files.readString(comm).strip().equals("conntrack")) {
        found.add(pid);
      }
    }
    return found;
  }
}
