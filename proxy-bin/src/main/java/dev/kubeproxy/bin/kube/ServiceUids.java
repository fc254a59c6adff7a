package dev.kubeproxy.bin.kube;

import dev.kubeproxy.api.NamespacedName;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The UID of every Service the API source currently holds, so that an event regarding a Service
 * raised far from the API objects (a port the backend skipped) names it as upstream's events do:
 * kind, namespace, name and UID. Thread-safe.
 */
public final class ServiceUids {
  private final Map<NamespacedName, String> uids = new ConcurrentHashMap<>();

  /** Records {@code service}'s UID; a null or empty one forgets it. */
  void seen(NamespacedName service, String uid) {
    if (uid == null || uid.isEmpty()) {
      uids.remove(service);
    } else {
      uids.put(service, uid);
    }
  }

  /** Forgets {@code service} (it was deleted). */
  void gone(NamespacedName service) {
    uids.remove(service);
  }

  /** {@code service}'s UID, or null when the source does not hold it (manifests, deleted). */
  public String uid(NamespacedName service) {
    return uids.get(Objects.requireNonNull(service, "service"));
  }
}
