package dev.kubeproxy.bin.config;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * What kube-proxy changes on its node before it syncs: the process's {@code oom_score_adj}
 * (upstream's {@code oomScoreAdj}, default -999) and the conntrack sysctls.
 */
public record NodeSetupSettings(int oomScoreAdj, ConntrackSettings conntrack) {
  /** Upstream's default for kube-proxy ({@code qos.KubeProxyOOMScoreAdj}). */
  public static final int DEFAULT_OOM_SCORE_ADJ = -999;

  public static final NodeSetupSettings DEFAULTS =
      new NodeSetupSettings(DEFAULT_OOM_SCORE_ADJ, ConntrackSettings.DEFAULTS);

  public NodeSetupSettings {
    checkArgument(oomScoreAdj >= -1000 && oomScoreAdj <= 1000, "oomScoreAdj %s is outside -1000..1000", oomScoreAdj);
    checkArgument(conntrack != null, "conntrack must be set");
  }
}
