package dev.kubeproxy.bin.kube;

import dev.kubeproxy.api.NamespacedName;

/**
 * Events about this node, as upstream kube-proxy records them ({@code Starting}, and warnings
 * such as a server that cannot bind): a type ({@code Normal}/{@code Warning}), a reason, an
 * action and a note; and upstream's one warning about a Service (an IP of a family this proxy
 * does not handle), regarding that Service. Sending is best effort and never blocks the caller.
 */
public interface NodeEvents {
  /** Records nothing (manifests, --once, --dry-run). */
  NodeEvents NONE = (type, reason, action, note) -> {};

  String NORMAL = "Normal";
  String WARNING = "Warning";
  /** Upstream's action for everything it records while starting. */
  String START = "StartKubeProxy";

  void record(String type, String reason, String action, String note);

  /**
   * Records an event regarding the Service {@code service} (UID {@code uid}, null when
   * unknown) instead of the Node; by default nothing, as for {@link #NONE}.
   */
  default void recordForService(
      NamespacedName service, String uid, String type, String reason, String action, String note) {}
}
