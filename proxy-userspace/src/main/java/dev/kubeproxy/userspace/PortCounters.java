package dev.kubeproxy.userspace;

import java.util.concurrent.atomic.LongAdder;

/** The live counters behind one service port's {@link ServicePortStats}; updated from any thread. */
final class PortCounters {
  private final LongAdder active = new LongAdder();
  private final LongAdder total = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final LongAdder dialFailures = new LongAdder();
  private final LongAdder retries = new LongAdder();

  void opened() {
    active.increment();
    total.increment();
  }

  void closed() {
    active.decrement();
  }

  void bytesIn(long n) {
    bytesIn.add(n);
  }

  void bytesOut(long n) {
    bytesOut.add(n);
  }

  void dialFailed() {
    dialFailures.increment();
  }

  void retried() {
    retries.increment();
  }

  ServicePortStats stats() {
    return new ServicePortStats(
        active.sum(), total.sum(), bytesIn.sum(), bytesOut.sum(), dialFailures.sum(), retries.sum());
  }
}
