package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.testing.lab.LabEvidence;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.api.testing.lab.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Steady, bounded probe traffic to a Service's port 80 from a lab pod (rounds of 5 TCP
 * connections 10 ms apart, a few hundred a second) until closed, every reply kept. While it runs,
 * {@link LabEvidence} logs the node's conntrack events, so a failure can be explained (issue 14).
 */
final class LabProbes implements AutoCloseable {
  private final List<Reply> replies = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;
  private final LabEvidence evidence;

  private LabProbes(
      NetnsLab lab, Pod client, IpAddress target, Duration timeout, LabEvidence evidence) {
    this.evidence = evidence;
    this.thread = new Thread(() -> {
      while (!stop.get()) {
        List<Reply> batch = lab.tcpRequests(client.netns(), null, target, 80, 5, timeout);
        replies.addAll(batch);
        evidence.snapshotAtFirstFailure(batch);
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "probes");
  }

  /**
   * Starts probing {@code target}:80 from {@code client}, each connection given {@code timeout};
   * {@code label} names the evidence files.
   */
  static LabProbes start(
      NetnsLab lab, Pod client, IpAddress target, Duration timeout, String label) {
    LabProbes p = new LabProbes(lab, client, target, timeout, LabEvidence.start(lab, label));
    p.thread.start();
    return p;
  }

  int count() {
    return replies.size();
  }

  /**
   * Waits (up to 45 s: one retry after a failed sync is 30 s) until rounds of {@code probes}
   * connections from {@code client} to {@code target}:80 are answered by exactly {@code servers};
   * fails naming what answered, with {@code log} (the binary's) in the message.
   */
  static void awaitServers(NetnsLab lab, Pod client, IpAddress target, int probes,
      Duration timeout, Supplier<String> log, String... servers) throws InterruptedException {
    Set<String> want = new TreeSet<>(List.of(servers));
    Set<String> seen = Set.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
    while (System.nanoTime() < deadline) {
      seen = new TreeSet<>();
      for (Reply r : lab.tcpRequests(client.netns(), null, target, 80, probes, timeout)) {
        seen.add(r.answered() ? r.serverName() : r.outcome().toString());
      }
      if (seen.equals(want)) {
        return;
      }
      Thread.sleep(250);
    }
    assertThat(seen).as("servers of %s; binary log:%n%s", target, log.get()).isEqualTo(want);
  }

  void assertNoFailure() {
    List<Reply> sent = List.copyOf(replies); // probes still run: one view for check and report
    List<Reply> failed = sent.stream().filter(r -> !r.answered()).toList();
    assertThat(failed)
        .as("failed of %d probes; %s", sent.size(), evidence.report(sent))
        .isEmpty();
  }

  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    try {
      thread.join(10_000);
    } finally {
      evidence.close();
    }
  }
}
