package dev.kubeproxy.model.sync;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;

/**
 * The sync engine's timing (upstream's minSyncPeriod, syncPeriod and FullSyncPeriod): syncs at
 * least {@code minSyncPeriod} apart; a failed one retried after {@code syncPeriod}, which also
 * sets the health timeout (2 x syncPeriod); a full sync at least every {@code fullSyncPeriod}.
 */
public record SyncPeriods(Duration minSyncPeriod, Duration syncPeriod, Duration fullSyncPeriod) {
  /** Upstream's defaults: 1 s, 30 s, 1 h. */
  public static final SyncPeriods DEFAULTS =
      new SyncPeriods(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofHours(1));

  public SyncPeriods {
    checkArgument(minSyncPeriod != null && !minSyncPeriod.isNegative(), "minSyncPeriod");
    checkArgument(syncPeriod != null && syncPeriod.compareTo(Duration.ZERO) > 0, "syncPeriod");
    checkArgument(
        fullSyncPeriod != null && fullSyncPeriod.compareTo(minSyncPeriod) >= 0
            && fullSyncPeriod.compareTo(Duration.ZERO) > 0,
        "fullSyncPeriod must be positive and at least minSyncPeriod");
  }

  /** How long a queued change may stay unapplied before the proxy is unhealthy. */
  public Duration healthTimeout() {
    return syncPeriod.multipliedBy(2);
  }
}
