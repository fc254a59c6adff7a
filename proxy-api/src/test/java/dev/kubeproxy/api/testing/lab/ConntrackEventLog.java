package dev.kubeproxy.api.testing.lab;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.command.CommandException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The conntrack event stream ({@code conntrack -E -e NEW,DESTROY -o timestamp,id}) of one lab
 * namespace, copied line by line into a file of bounded size, so that a failed probe can later be
 * matched with what the kernel did to its flow. Forensics never fail a test: when conntrack is
 * missing, or the lab is not on this machine, the file says so and nothing runs. The file is kept
 * after {@link #close()}.
 */
public final class ConntrackEventLog implements AutoCloseable {
  /** Past this many bytes the log stops recording (and conntrack is stopped). */
  public static final long DEFAULT_CAP_BYTES = 20L << 20;

  private static final AtomicBoolean MISSING_TOLD = new AtomicBoolean();
  /** Requested netlink receive buffer: a busy namespace's events must not overflow it. */
  private static final String BUFFER_BYTES = "8388608";
  /**
   * New and destroyed entries only: a new entry's reply tuple shows where it was DNATed, and a
   * refused or reset flow is destroyed at once. Every TCP state update as well would be five
   * times the volume (30 s of churn probing wrote 16 MB, and the userspace mode's two flows per
   * probe reached the cap), for states of connections that were answered.
   */
  private static final String EVENTS = "NEW,DESTROY";

  private static final long READY_WAIT_MS = 5000;
  private static final Pattern PORT = Pattern.compile("\\b[sd]port=(\\d+)\\b");
  private static final Pattern STAMP = Pattern.compile("^\\[(\\d+)\\.(\\d{6})\\]");

  private final Path file;
  private final long capBytes;
  private final Process process;
  private final Thread pump;
  private final CountDownLatch firstLine = new CountDownLatch(1);
  private final AtomicLong written = new AtomicLong();
  private final AtomicBoolean capped = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ConntrackEventLog(Path file, long capBytes, Process process) {
    this.file = file;
    this.capBytes = capBytes;
    this.process = process;
    this.pump = process == null ? null : new Thread(this::pump, "conntrack-events " + file);
  }

  /**
   * Starts logging the events of lab namespace {@code ns} to {@code file} (created or replaced),
   * at most {@link #DEFAULT_CAP_BYTES}; returns once conntrack listens, so later traffic is seen.
   */
  public static ConntrackEventLog start(NetnsLab lab, String ns, Path file) {
    return start(lab, ns, file, DEFAULT_CAP_BYTES);
  }

  /** As {@link #start(NetnsLab, String, Path)}, stopping past {@code capBytes}. */
  public static ConntrackEventLog start(NetnsLab lab, String ns, Path file, long capBytes) {
    checkArgument(capBytes > 0, "cap must be positive: %s", capBytes);
    // Only a namespace of this open lab: never the machine's own.
    checkArgument(lab.namespaces().contains(ns), "%s is not a namespace of %s", ns, lab);
    checkState(!lab.isClosed(), "lab %s is closed", lab.prefix());
    if (!lab.isOnThisMachine()) {
      return inactive(file, capBytes, "the lab runs on another host; no conntrack event log");
    }
    try {
      lab.exec(ns, "conntrack", "--version");
    } catch (CommandException e) {
      if (MISSING_TOLD.compareAndSet(false, true)) {
        System.err.println("lab evidence: conntrack cannot run (" + e.getMessage().strip()
            + "); tests go on without conntrack event logs");
      }
      return inactive(file, capBytes, "conntrack cannot run: " + e.getMessage().strip());
    }
    Process process;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      process =
          new ProcessBuilder(
                  "ip", "netns", "exec", ns,
                  "conntrack", "-E", "-e", EVENTS, "-o", "timestamp,id",
                  "--buffer-size", BUFFER_BYTES)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
    } catch (IOException e) {
      return inactive(file, capBytes, "cannot start conntrack: " + e);
    }
    ConntrackEventLog log = new ConntrackEventLog(file, capBytes, process);
    log.pump.setDaemon(true);
    log.pump.start();
    log.awaitListening();
    return log;
  }

  private static ConntrackEventLog inactive(Path file, long capBytes, String why) {
    ConntrackEventLog log = new ConntrackEventLog(file, capBytes, null);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, "# " + why + "\n", UTF_8);
    } catch (IOException e) {
      // No file either: lines() is then empty, and the report names the file it could not write.
    }
    return log;
  }

  /** conntrack prints a NOTICE line once its netlink socket listens (given a buffer size). */
  private void awaitListening() {
    try {
      firstLine.await(READY_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void pump() {
    try (BufferedReader in =
            new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
        BufferedWriter out = Files.newBufferedWriter(file, UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        firstLine.countDown();
        long size = line.getBytes(UTF_8).length + 1;
        if (written.get() + size > capBytes) {
          capped.set(true);
          out.write("# lab evidence: stopped at the cap of " + capBytes
              + " bytes; later events were not recorded\n");
          process.toHandle().destroy();
          break;
        }
        out.write(line);
        out.write('\n');
        written.addAndGet(size);
        if (!in.ready()) {
          out.flush(); // a quiet moment: keep the file current without a write per event
        }
      }
    } catch (IOException e) {
      // conntrack gone or the disk full: what was written stays.
    } finally {
      firstLine.countDown();
    }
  }

  /** The log file (kept after {@link #close()}). */
  public Path file() {
    return file;
  }

  /** Whether conntrack was started (false: missing, or the lab is elsewhere). */
  public boolean active() {
    return process != null;
  }

  /** Whether the log reached its cap and stopped recording. */
  public boolean capped() {
    return capped.get();
  }

  /**
   * Up to {@code max} lines of the file whose original or reply tuple has port {@code ports}
   * (e.g. failed probes' source ports), in file order. Call after {@link #close()} to see
   * every event.
   */
  public ImmutableList<String> linesWithPorts(Set<Integer> ports, int max) {
    if (ports.isEmpty()) {
      return ImmutableList.of();
    }
    return lines(max, line -> {
      Matcher m = PORT.matcher(line);
      while (m.find()) {
        if (ports.contains(Integer.parseInt(m.group(1)))) {
          return true;
        }
      }
      return false;
    });
  }

  /**
   * The event lines (at most {@code max}) stamped within {@code [fromMillis, toMillis]} (epoch
   * milliseconds): the flows of a failed request whose source port is unknown.
   */
  public ImmutableList<String> linesBetween(long fromMillis, long toMillis, int max) {
    return lines(max, line -> {
      Matcher m = STAMP.matcher(line);
      if (!m.find()) {
        return false;
      }
      long millis = Long.parseLong(m.group(1)) * 1000 + Integer.parseInt(m.group(2)) / 1000;
      return millis >= fromMillis && millis <= toMillis;
    });
  }

  /** Up to {@code max} lines of the file that {@code keep} accepts, in file order. */
  private ImmutableList<String> lines(int max, Predicate<String> keep) {
    List<String> found = new ArrayList<>();
    if (!Files.exists(file)) {
      return ImmutableList.of();
    }
    try (BufferedReader in = Files.newBufferedReader(file, UTF_8)) {
      for (String line = in.readLine(); line != null && found.size() < max;
          line = in.readLine()) {
        if (keep.test(line)) {
          found.add(line);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      found.add("(cannot read " + file + ": " + e + ")");
    }
    return ImmutableList.copyOf(found);
  }

  /** Stops conntrack and waits for the file to hold everything it printed. Idempotent. */
  @Override
  public void close() {
    if (process == null || !closed.compareAndSet(false, true)) {
      return;
    }
    // SIGTERM through the handle: Process.destroy() would also close the pipe the pump still
    // reads, losing the last events. conntrack prints its event count and exits.
    process.toHandle().destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
      pump.join(5000);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "ConntrackEventLog[" + file + (active() ? "" : ", inactive")
        + (capped() ? ", capped" : "") + "]";
  }
}
