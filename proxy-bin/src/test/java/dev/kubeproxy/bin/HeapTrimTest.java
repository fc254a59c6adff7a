package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.model.sync.SyncEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HeapTrimTest {
  private static final Instant T0 = Instant.parse("2026-12-04T00:00:00Z");

  private final List<Runnable> queued = new ArrayList<>();
  private final AtomicInteger collections = new AtomicInteger();
  private final HeapTrim trim = HeapTrim.of(queued::add, collections::incrementAndGet, () -> 0L);

  private static SyncEvent event(boolean full, boolean succeeded) {
    return new SyncEvent(T0, Duration.ofMillis(5), full,
        succeeded ? new SyncResult(1, 10) : null,
        succeeded ? null : new IllegalStateException("nft failed"), 0, 0, 0, null, 0);
  }

  @Test
  void collectsOffTheSyncThreadAfterASuccessfulFullSync() {
    trim.onSync(event(true, true));

    assertThat(collections).hasValue(0);
    assertThat(queued).hasSize(1);
    queued.remove(0).run();
    assertThat(collections).hasValue(1);
  }

  @Test
  void partialAndFailedSyncsDoNotCollect() {
    trim.onSync(event(false, true));
    trim.onSync(event(true, false));

    assertThat(queued).isEmpty();
  }

  @Test
  void atMostOneCollectionIsPending() {
    trim.onSync(event(true, true));
    trim.onSync(event(true, true));
    assertThat(queued).hasSize(1);

    queued.remove(0).run();
    trim.onSync(event(true, true));
    assertThat(queued).hasSize(1);
    queued.remove(0).run();
    assertThat(collections).hasValue(2);
  }
}
