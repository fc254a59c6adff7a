package dev.kubeproxy.bin;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.kubeproxy.model.sync.SyncEvent;
import dev.kubeproxy.model.sync.SyncListener;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After each successful full sync, runs one full collection on its own thread so that the
 * serial collector shrinks the heap back to what the committed state needs (it never does
 * so on its own while the proxy idles); the sync loop's steady RSS then follows the live state
 * instead of the full sync's peak. Before collecting it narrows the heap free ratios to
 * {@value #MIN_FREE}/{@value #MAX_FREE} % (the launcher starts wider, for a fast first sync). At
 * most one collection is pending at a time.
 */
final class HeapTrim implements SyncListener {
  private static final Logger log = LoggerFactory.getLogger(HeapTrim.class);

  /**
   * Free ratios while the proxy idles in its sync loop: steady RSS at M 238-260 MiB with the
   * launcher's small initial heap, below which the collector never shrinks (RESULTS.md).
   */
  static final int MIN_FREE = 10;
  static final int MAX_FREE = 20;

  private final Executor executor;
  private final Runnable collect;
  private final LongSupplier nanoTime;
  private final AtomicBoolean pending = new AtomicBoolean();

  private HeapTrim(Executor executor, Runnable collect, LongSupplier nanoTime) {
    this.executor = checkNotNull(executor, "executor");
    this.collect = checkNotNull(collect, "collect");
    this.nanoTime = checkNotNull(nanoTime, "nanoTime");
  }

  /** Collects with {@link System#gc()} on a daemon thread of its own. */
  static HeapTrim start() {
    return of(
        task -> {
          Thread thread = new Thread(task, "heap-trim");
          thread.setDaemon(true);
          thread.start();
        },
        () -> {
          HeapFreeRatios.ofThisJvm().ifPresent(r -> r.narrowTo(MIN_FREE, MAX_FREE));
          System.gc();
        },
        System::nanoTime);
  }

  /** Runs {@code collect} on {@code executor}, timing it with {@code nanoTime} (for tests). */
  static HeapTrim of(Executor executor, Runnable collect, LongSupplier nanoTime) {
    return new HeapTrim(executor, collect, nanoTime);
  }

  @Override
  public void onSync(SyncEvent event) {
    if (!event.full() || !event.succeeded() || !pending.compareAndSet(false, true)) {
      return;
    }
    executor.execute(() -> {
      try {
        long start = nanoTime.getAsLong();
        collect.run();
        log.info("heap trimmed after a full sync in {} ms",
            (nanoTime.getAsLong() - start) / 1_000_000);
      } finally {
        pending.set(false);
      }
    });
  }
}
