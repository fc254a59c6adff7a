package dev.kubeproxy.bin.config;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.model.ProxyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the binary runs with once flags and the config file are merged: the model's
 * {@link ProxyConfig}, the mode, the server addresses (null: that server is disabled) and whether
 * failing to bind them stops the process, the sync periods, the settings only one mode reads,
 * node setup, feature gates, logging,
 * where the Services come from (manifests, kubeconfig or master; none of them means in-cluster),
 * the config file (watched: the process exits when it changes, as upstream), the run switches,
 * and the warnings resolving produced (each names a flag or field that is accepted but not acted on).
 */
public record EffectiveConfig(
    ProxyMode mode,
    ProxyConfig proxy,
    IpAddress bindAddress,
    HostPort healthzBindAddress,
    HostPort metricsBindAddress,
    boolean bindAddressHardFail,
    Duration syncPeriod,
    Duration minSyncPeriod,
    ModeOptions modeOptions,
    NodeSetupSettings nodeSetup,
    ImmutableMap<String, Boolean> featureGates,
    LogSettings logging,
    Path manifests,
    String kubeconfig,
    String master,
    Path configFile,
    Switches switches,
    ImmutableList<String> warnings) {

  /** What the run does besides syncing: {@code --once}, {@code --dry-run}, {@code --cleanup}, {@code --init-only}, {@code --write-config-to}. */
  public record Switches(
      boolean once, boolean dryRun, boolean cleanup, boolean initOnly, Path writeConfigTo) {
    public static final Switches NONE = new Switches(false, false, false, false, null);
  }

  public boolean once() {
    return switches.once();
  }

  public boolean dryRun() {
    return switches.dryRun();
  }

  public boolean cleanup() {
    return switches.cleanup();
  }

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
        mode, proxy.toBuilder().families(families).build(), bindAddress, healthzBindAddress,
        metricsBindAddress, bindAddressHardFail, syncPeriod, minSyncPeriod, modeOptions,
        nodeSetup, featureGates, logging, manifests, kubeconfig, master, configFile, switches, warnings);
  }

  /** This config with {@code mode} instead (e.g. {@code --userspace-bind} implies userspace). */
  public EffectiveConfig withMode(ProxyMode mode) {
    return new EffectiveConfig(
        mode, proxy, bindAddress, healthzBindAddress, metricsBindAddress, bindAddressHardFail,
        syncPeriod, minSyncPeriod, modeOptions, nodeSetup, featureGates, logging, manifests,
        kubeconfig, master,
        configFile, switches, warnings);
  }

  /**
   * {@code node} as this proxy sees it: a specific {@code --bind-address} (not 0.0.0.0 or ::)
   * replaces the Node's primary IP of its family, as upstream's node IP detection does; null
   * stays null.
   */
  public Node withBindAddress(Node node) {
    if (node == null || bindAddress.toInetAddress().isAnyLocalAddress()) {
      return node;
    }
    List<IpAddress> addresses = new ArrayList<>();
    addresses.add(bindAddress);
    node.addresses().stream().filter(a -> a.family() != bindAddress.family()).forEach(addresses::add);
    return new Node(
        node.name(), ImmutableList.copyOf(addresses), node.labels(), node.podCidrs(), node.beingDeleted());
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
