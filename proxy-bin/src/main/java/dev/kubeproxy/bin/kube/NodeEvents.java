package dev.kubeproxy.bin.kube;

/**
 * Events about this node, as upstream kube-proxy records them ({@code Starting}, and warnings
 * such as a server that cannot bind): a type ({@code Normal}/{@code Warning}), a reason, an
 * action and a note. Sending is best effort and never blocks the caller.
 */
public interface NodeEvents {
  /** Records nothing (manifests, --once, --dry-run). */
  NodeEvents NONE = (type, reason, action, note) -> {};

  String NORMAL = "Normal";
  String WARNING = "Warning";
  /** Upstream's action for everything it records while starting. */
  String START = "StartKubeProxy";

  void record(String type, String reason, String action, String note);
}
