package dev.kubeproxy.api.testing.lab;

import static com.google.common.base.Preconditions.checkArgument;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.command.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a steady-traffic kernel test keeps to explain a failed probe (issue 14): a {@link
 * ConntrackEventLog} of one lab namespace (the node, where the rules are), a snapshot of that
 * namespace's rules, routes, links and conntrack counters at the first failure, and a report
 * for the assertion message. Files go to {@code target/lab-evidence/} and are kept. Nothing here
 * changes what the test asserts, and nothing here throws once started.
 */
public final class LabEvidence implements AutoCloseable {
  /** The directory evidence goes to, under the module that runs the test. */
  public static final Path DIRECTORY = Path.of("target", "lab-evidence").toAbsolutePath();

  /** At most this many failed probes are listed in a report. */
  static final int MAX_PROBES = 20;
  /** At most this many conntrack event lines are quoted in a report. */
  static final int MAX_EVENT_LINES = 50;

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final Pattern EPOCH = Pattern.compile("^\\[(\\d+)\\.(\\d{6})\\]");
  private static final List<List<String>> SNAPSHOT_COMMANDS =
      List.of(
          List.of("nft", "list", "ruleset"),
          // The iptables-legacy backend's rules are not in nft's ruleset.
          List.of("iptables-legacy-save"),
          List.of("ip", "route"),
          List.of("ip", "-6", "route"),
          List.of("ip", "-s", "link"),
          List.of("conntrack", "-S"),
          // IpExt InNoRoutes, Icmp OutDestUnreachs: the node found no route for a packet.
          List.of("cat", "/proc/net/snmp", "/proc/net/netstat"));
  // In each pod: Ip OutNoRoutes counts a connect that failed for want of a local route, Icmp
  // InDestUnreachs the errors that came back.
  private static final List<List<String>> POD_COMMANDS =
      List.of(List.of("ip", "route"), List.of("cat", "/proc/net/snmp"));

  private final NetnsLab lab;
  private final String ns;
  private final String base;
  private final ConntrackEventLog events;
  private final AtomicReference<Path> snapshot = new AtomicReference<>();

  private LabEvidence(NetnsLab lab, String ns, String base, ConntrackEventLog events) {
    this.lab = lab;
    this.ns = ns;
    this.base = base;
    this.events = events;
  }

  /** Starts the conntrack event log of the lab's node namespace; {@code label} names the files. */
  public static LabEvidence start(NetnsLab lab, String label) {
    return start(lab, lab.nodeNs(), label);
  }

  /** Starts the conntrack event log of lab namespace {@code ns}. */
  public static LabEvidence start(NetnsLab lab, String ns, String label) {
    checkArgument(label != null && !label.isBlank(), "label is required");
    String safe = label.replaceAll("[^A-Za-z0-9._-]+", "_");
    String base = safe + "-" + STAMP.format(Instant.now());
    Path file = DIRECTORY.resolve(base + "-conntrack-events.log");
    return new LabEvidence(lab, ns, base, ConntrackEventLog.start(lab, ns, file));
  }

  /** The conntrack event log. */
  public ConntrackEventLog events() {
    return events;
  }

  /** The snapshot taken so far, if any. */
  public Path snapshot() {
    return snapshot.get();
  }

  /**
   * Takes the snapshot if {@code batch} has a failed probe and none was taken yet: call it as
   * results come in, so the snapshot shows the rules right after the first failure.
   */
  public void snapshotAtFirstFailure(List<Reply> batch) {
    if (snapshot.get() == null && batch.stream().anyMatch(r -> !r.answered())) {
      snapshotOnce("first-failure");
    }
  }

  private synchronized Path snapshotOnce(String why) {
    if (snapshot.get() == null) {
      snapshot.set(takeSnapshot(why));
    }
    return snapshot.get();
  }

  /**
   * Writes {@code nft list ruleset}, {@code iptables-legacy-save}, the routes, {@code ip -s
   * link}, {@code conntrack -S} and the IP/ICMP counters of the namespace, and each pod's routes
   * and counters, to a new file; a command that fails leaves its error in the file instead.
   */
  public Path takeSnapshot(String why) {
    Path file = DIRECTORY.resolve(
        base + "-snapshot-" + why + "-" + STAMP.format(Instant.now()) + ".txt");
    StringBuilder text = new StringBuilder("# " + ns + " at " + Instant.now() + " (" + why + ")\n");
    for (List<String> argv : SNAPSHOT_COMMANDS) {
      append(text, ns, argv);
    }
    for (Pod pod : lab.pods()) {
      for (List<String> argv : POD_COMMANDS) {
        append(text, pod.netns(), argv);
      }
    }
    try {
      Files.createDirectories(DIRECTORY);
      Files.writeString(file, text, UTF_8);
    } catch (IOException e) {
      System.err.println("lab evidence: cannot write " + file + ": " + e);
    }
    return file;
  }

  private void append(StringBuilder text, String namespace, List<String> argv) {
    text.append("\n## ").append(String.join(" ", argv));
    text.append(namespace.equals(ns) ? "" : " (" + namespace + ")").append('\n');
    try {
      text.append(lab.exec(namespace, argv.toArray(String[]::new)).stdout());
    } catch (CommandException | RuntimeException e) {
      text.append("(failed: ").append(e.getMessage()).append(")\n");
    }
  }

  /**
   * The assertion message's part about failed probes, empty when every one was answered: each
   * failed probe (at most {@value #MAX_PROBES}), the evidence files, and the conntrack events of
   * their source ports (at most {@value #MAX_EVENT_LINES} lines). Stops the event log, so it
   * holds every event up to now, and takes the snapshot now if none was taken yet.
   */
  public String report(List<Reply> replies) {
    List<Reply> failed = replies.stream().filter(r -> !r.answered()).toList();
    if (failed.isEmpty()) {
      return "";
    }
    events.close();
    Path shot = snapshotOnce("at-report");
    StringBuilder s = new StringBuilder();
    s.append(failed.size()).append(" failed of ").append(replies.size()).append(" probes")
        .append(failed.size() > MAX_PROBES ? " (first " + MAX_PROBES + ")" : "").append(":\n");
    Set<Integer> ports = new TreeSet<>();
    List<long[]> windows = new ArrayList<>();
    for (Reply reply : failed.subList(0, Math.min(MAX_PROBES, failed.size()))) {
      s.append("  ").append(reply.outcome()).append(' ').append(reply.text()).append('\n');
      OptionalInt port = reply.sourcePort();
      if (port.isPresent()) {
        ports.add(port.getAsInt());
      } else {
        reply.failedDuring().ifPresent(windows::add);
      }
    }
    s.append("evidence (namespace ").append(ns).append("):\n")
        .append("  conntrack events: ").append(events.file())
        .append(events.capped() ? " (capped)" : "").append('\n')
        .append("  snapshot: ").append(shot).append('\n');
    List<String> lines = new ArrayList<>(events.linesWithPorts(ports, MAX_EVENT_LINES));
    for (long[] window : windows) {
      // A probe whose port the agent could not know: the events while it ran (+-20 ms).
      for (String line : events.linesBetween(window[0] - 20, window[1] + 20, MAX_EVENT_LINES)) {
        if (lines.size() < MAX_EVENT_LINES && !lines.contains(line)) {
          lines.add(line);
        }
      }
    }
    s.append("conntrack events of source ports ").append(ports);
    if (!windows.isEmpty()) {
      s.append(" and while the ").append(windows.size())
          .append(" probes of unknown port ran");
    }
    if (!events.active()) {
      s.append(": no event log (see its file)\n");
    } else if (lines.isEmpty()) {
      // The kernel announces an entry only once it is confirmed, as its packet leaves.
      s.append(": none (a packet dropped or rejected in the node before its conntrack entry was"
          + " confirmed, e.g. neither DNATed nor routed, leaves no event)\n");
    } else {
      s.append(" (UTC time first, at most ").append(MAX_EVENT_LINES).append("):\n");
    }
    lines.forEach(line -> s.append("  ").append(withUtcTime(line)).append('\n'));
    return s.toString();
  }

  /** Prefixes an event line's {@code [epoch.micros]} stamp with its UTC time of day. */
  static String withUtcTime(String line) {
    Matcher m = EPOCH.matcher(line);
    if (!m.find()) {
      return line;
    }
    long millis = Long.parseLong(m.group(1)) * 1000 + Integer.parseInt(m.group(2)) / 1000;
    return LabAgent.utcTimeOfDay(millis) + " " + line;
  }

  /** Stops the event log (the files stay). */
  @Override
  public void close() {
    events.close();
  }

  @Override
  public String toString() {
    return "LabEvidence[" + DIRECTORY.resolve(base) + "]";
  }
}
