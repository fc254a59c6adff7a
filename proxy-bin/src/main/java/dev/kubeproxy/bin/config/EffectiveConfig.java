package dev.kubeproxy.bin.config;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.model.ProxyConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the binary runs with once flags and the config file are merged: the model's
 * {@link ProxyConfig}, the mode, the server addresses (null: that server is disabled), the sync
 * periods, where the Services come from (manifests, kubeconfig or master; none of them means
 * in-cluster) and the run switches.
 */
public record EffectiveConfig(
    ProxyMode mode,
    ProxyConfig proxy,
    HostPort healthzBindAddress,
    HostPort metricsBindAddress,
    Duration syncPeriod,
    Duration minSyncPeriod,
    Path manifests,
    String kubeconfig,
    String master,
    boolean once,
    boolean dryRun,
    boolean cleanup) {

  /**
   * Recomputes the IP families the proxy serves counting {@code node}'s addresses as node IPs
   * too (the Node object gives them, like {@code --node-ip}); null leaves this unchanged.
   */
  public EffectiveConfig withNodeFamilies(Node node) {
    if (node == null) {
      return this;
    }
    ImmutableSet<IpFamily> families =
        ConfigResolver.families(proxy.nodeIps(), proxy.clusterCidrs(), node.addresses());
    return new EffectiveConfig(
        mode, proxy.toBuilder().families(families).build(), healthzBindAddress, metricsBindAddress, syncPeriod,
        minSyncPeriod, manifests, kubeconfig, master, once, dryRun, cleanup);
  }

  /** One line for the startup log. */
  public String describe() {
    return "mode " + mode.flagValue() + ", node " + proxy.nodeName() + ", families "
        + proxy.families() + ", detect-local " + proxy.detectLocalMode() + ", sync period "
        + GoDuration.format(syncPeriod) + " (min " + GoDuration.format(minSyncPeriod) + ")"
        + ", healthz " + (healthzBindAddress == null ? "off" : healthzBindAddress)
        + ", metrics " + (metricsBindAddress == null ? "off" : metricsBindAddress);
  }
}
