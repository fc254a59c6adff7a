package dev.kubeproxy.bin.kube;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SkippedPorts;
import dev.kubeproxy.model.sync.SyncEvent;
import dev.kubeproxy.model.sync.SyncListener;
import java.util.EnumMap;
import java.util.Map;

/**
 * Tells a Service's owner, in API mode, that one of its ports is not programmed (issue 14): after
 * each successful sync, a Warning event regarding the Service for every port the backend newly
 * skipped, or skips for a new reason. A port skipped sync after sync for the same reason is
 * reported once; one that recovers and fails again is reported again.
 */
public final class SkippedPortEvents implements SyncListener {
  /** The event's reason, as upstream names its reasons (a verb phrase in CamelCase). */
  public static final String REASON = "FailedToProgramServicePort";
  /** The event's action: what the proxy was doing, as upstream names its sync. */
  public static final String ACTION = "SyncProxyRules";
  /** The API server refuses a note over 1 kB. */
  static final int MAX_NOTE = 1024;

  private final SkippedPorts backend;
  private final NodeEvents events;
  private final ServiceUids uids;
  private final Map<IpFamily, ImmutableSortedMap<ServicePortKey, String>> reported =
      new EnumMap<>(IpFamily.class);

  private SkippedPortEvents(SkippedPorts backend, NodeEvents events, ServiceUids uids) {
    this.backend = checkNotNull(backend, "backend");
    this.events = checkNotNull(events, "events");
    this.uids = checkNotNull(uids, "uids");
  }

  /** Reports {@code backend}'s skipped ports through {@code events}, with no Service UIDs. */
  public static SkippedPortEvents of(SkippedPorts backend, NodeEvents events) {
    return of(backend, events, new ServiceUids());
  }

  /**
   * Reports {@code backend}'s skipped ports through {@code events}, each regarding its Service by
   * the UID {@code uids} holds for it (none when the source does not know the Service).
   */
  public static SkippedPortEvents of(SkippedPorts backend, NodeEvents events, ServiceUids uids) {
    return new SkippedPortEvents(backend, events, uids);
  }

  @Override
  public synchronized void onSync(SyncEvent event) {
    if (!event.succeeded()) {
      return;
    }
    for (IpFamily family : IpFamily.values()) {
      ImmutableSortedMap<ServicePortKey, String> now = backend.skipped(family);
      ImmutableSortedMap<ServicePortKey, String> before = reported.getOrDefault(family, ImmutableSortedMap.of());
      now.forEach((key, reason) -> {
        if (!reason.equals(before.get(key))) {
          events.recordForService(key.service(), uids.uid(key.service()), NodeEvents.WARNING, REASON, ACTION,
              note(key, family, reason));
        }
      });
      reported.put(family, now);
    }
  }

  /** {@code port ui/TCP (IPv4) is not programmed, the Service's other ports are: <reason>}, at most 1 kB. */
  static String note(ServicePortKey key, IpFamily family, String reason) {
    String note = "port " + (key.portName().isEmpty() ? "(unnamed)" : key.portName()) + "/"
        + key.protocol() + " (" + family.kubernetesName()
        + ") is not programmed, the Service's other ports are: " + reason;
    return note.length() <= MAX_NOTE ? note : note.substring(0, MAX_NOTE - 3) + "...";
  }
}
