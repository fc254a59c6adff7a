package dev.kubeproxy.bin.config;

import java.nio.file.Path;

/**
 * The command-line values as given, null when a flag was not used (so that the config file's
 * value applies); lists stay comma-separated text and are validated by {@link ConfigResolver}.
 */
public record FlagValues(
    String proxyMode,
    String hostnameOverride,
    String clusterCidr,
    String detectLocalMode,
    String bridgeInterface,
    String interfaceNamePrefix,
    String nodePortAddresses,
    Boolean masqueradeAll,
    String bindAddress,
    String healthzBindAddress,
    String metricsBindAddress,
    String kubeconfig,
    String master,
    String nodeIps,
    Path manifests,
    boolean once,
    boolean dryRun,
    boolean cleanup) {}
