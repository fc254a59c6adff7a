package dev.kubeproxy.model.sync;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.time.Instant;

/**
 * The sync engine's state as the health server reports it. {@code lastQueued} is when the
 * oldest change not yet applied was queued (null when everything queued is applied);
 * {@code lastSuccessfulSync} is when the last successful sync ended (null before the first).
 */
public record SyncStatus(
    Instant lastQueued, Instant lastSuccessfulSync, boolean lastSyncFull, int consecutiveFailures) {
  public static final SyncStatus INITIAL = new SyncStatus(null, null, false, 0);

  public SyncStatus {
    checkArgument(consecutiveFailures >= 0, "consecutiveFailures");
  }

  /**
   * Upstream's healthz rule: unhealthy when a change queued at least 2 x {@code syncPeriod}
   * ago is still not applied; healthy otherwise (also before the first sync).
   */
  public boolean healthy(Instant now, Duration syncPeriod) {
    return lastQueued == null
        || Duration.between(lastQueued, now).compareTo(syncPeriod.multipliedBy(2)) < 0;
  }
}
