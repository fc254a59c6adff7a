package dev.kubeproxy.bin.cli;

import dev.kubeproxy.bin.config.KubeProxyConfiguration;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The flags that describe the node and its Services, shared by the proxy and {@code trace}:
 * config file, node name and IPs, cluster CIDRs, local-traffic detection, NodePort addresses,
 * masquerading and the manifest directory.
 */
final class NodeOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "A KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) YAML file; flags override it.")
  Path config;

  @Option(
      names = "--hostname-override",
      paramLabel = "NAME",
      description = "This node's name (default: the OS host name).")
  String hostnameOverride;

  @Option(
      names = "--node-ip",
      paramLabel = "IP[,IP]",
      description = "This node's IPs (one per family), used when no Node object gives them.")
  String nodeIps;

  @Option(
      names = "--cluster-cidr",
      paramLabel = "CIDR[,CIDR]",
      description = "The pod CIDRs of the cluster, one per family (e.g. 10.244.0.0/16,fd00:10:244::/48).")
  String clusterCidr;

  @Option(
      names = "--detect-local-mode",
      paramLabel = "MODE",
      description = "How pod traffic is recognised: ClusterCIDR (default), NodeCIDR, BridgeInterface, InterfaceNamePrefix.")
  String detectLocalMode;

  @Option(
      names = "--pod-bridge-interface",
      paramLabel = "NAME",
      description = "The pods' bridge, for --detect-local-mode BridgeInterface.")
  String bridgeInterface;

  @Option(
      names = "--pod-interface-name-prefix",
      paramLabel = "PREFIX",
      description = "The pods' interface name prefix, for --detect-local-mode InterfaceNamePrefix.")
  String interfaceNamePrefix;

  @Option(
      names = "--nodeport-addresses",
      paramLabel = "CIDR[,CIDR]|primary",
      description = "Accept NodePorts only on local addresses in these CIDRs, or only on the node's primary IPs ('primary', not combined with CIDRs); default: all.")
  String nodePortAddresses;

  @Option(
      names = "--masquerade-all",
      arity = "0..1",
      fallbackValue = "true",
      paramLabel = "BOOL",
      description = "SNAT all traffic sent to a Service's ClusterIP.")
  Boolean masqueradeAll;

  @Option(
      names = "--manifests",
      paramLabel = "DIR",
      description = "Read Services, EndpointSlices and Nodes from the *.yaml/*.yml files in DIR instead of the API server; edits are applied while running.")
  Path manifests;
}
