package dev.kubeproxy.bin.cli;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.bin.Main;
import dev.kubeproxy.bin.ProxyRunner;
import dev.kubeproxy.bin.config.ConfigException;
import dev.kubeproxy.bin.config.ConfigResolver;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.config.FlagValues;
import dev.kubeproxy.bin.config.Hostname;
import dev.kubeproxy.bin.config.KubeProxyConfiguration;
import dev.kubeproxy.bin.config.ProxyMode;
import dev.kubeproxy.bin.manifest.ManifestSnapshot;
import dev.kubeproxy.bin.log.LogOutput;
import dev.kubeproxy.bin.manifest.ManifestSource;
import dev.kubeproxy.bin.node.HostNodeFiles;
import dev.kubeproxy.bin.node.NodeFiles;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kube-proxy-java}: upstream kube-proxy's flags, plus offline manifests, --once, --dry-run
 * and --userspace-bind.
 */
@Command(
    name = Main.NAME,
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    subcommands = TraceCommand.class,
    description = {
      "A Kubernetes service proxy: programs this node's kernel so that traffic to Services reaches their endpoints.",
      "Services come from the API server (--kubeconfig, --master or in-cluster) or from manifests (--manifests)."
    })
public final class KubeProxyCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(KubeProxyCommand.class);

  @Spec CommandSpec spec;

  @Option(
      names = "--proxy-mode",
      paramLabel = "MODE",
      description = "iptables (default, as upstream on Linux), nftables, ipvs, or userspace (root:"
          + " listeners plus redirect rules in table kube-proxy-userspace).")
  String proxyMode;

  @Option(
      names = "--userspace-bind",
      paramLabel = "ADDRESS[,ADDRESS]",
      split = ",",
      description = "Run the userspace mode embedded: one listener per service port on each address (ephemeral"
          + " ports, listed at the metrics server's /userspace/addresses); no privileges, no kernel rules.")
  List<String> userspaceBind;

  @Mixin NodeOptions node;

  @Mixin UpstreamOptions upstream;

  @Option(
      names = "--bind-address",
      paramLabel = "IP",
      description = "An IP other than 0.0.0.0/:: is used as this node's IP; IPv6 makes the servers default to IPv6.")
  String bindAddress;

  @Option(
      names = "--healthz-bind-address",
      paramLabel = "IP[:PORT]",
      description = "Health server address (default 0.0.0.0:10256); empty disables it.")
  String healthzBindAddress;

  @Option(
      names = "--metrics-bind-address",
      paramLabel = "IP[:PORT]",
      description = "Metrics server address (default 127.0.0.1:10249); empty disables it.")
  String metricsBindAddress;

  @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Kubeconfig to reach the API server.")
  String kubeconfig;

  @Option(names = "--master", paramLabel = "URL", description = "API server address (overrides the kubeconfig's).")
  String master;

  @Option(
      names = "--cleanup",
      arity = "0..1",
      fallbackValue = "true",
      paramLabel = "BOOL",
      description = "Remove every rule this proxy owns, then exit.")
  Boolean cleanup;

  @Option(names = "--once", description = "Sync once, then exit (0 on success, non-zero with the reason on failure).")
  boolean once;

  @Option(
      names = "--dry-run",
      description = "Print what would be sent to the kernel tool instead of sending it; needs no root.")
  boolean dryRun;

  public Supplier<String> hostname = Hostname::os;

  /** Where node setup reads and writes kernel files; tests put a fake here. */
  public NodeFiles nodeFiles = new HostNodeFiles();

  @Override
  public Integer call() {
    EffectiveConfig config = effectiveConfig();
    start(config);
    List<IpAddress> bind = userspaceBind(config);
    if (!bind.isEmpty()) {
      config = config.withMode(ProxyMode.USERSPACE);
    }
    ManifestSource manifests = null;
    if (config.manifests() != null) {
      // Embedded, the endpoints are often local servers on loopback.
      manifests = new ManifestSource(
          config.manifests(), config.proxy().nodeName(), config::withBindAddress, !bind.isEmpty());
      ManifestSnapshot snapshot = manifests.load();
      Node own = snapshot.node(config.proxy().nodeName());
      log.info(
          "manifests {}: {} services, {} endpoint slices, {} nodes, {} skipped; Node {} {}",
          config.manifests(), snapshot.services().size(), snapshot.slices().size(),
          snapshot.nodes().size(), snapshot.problems().size(), config.proxy().nodeName(),
          own == null ? "not found (node IPs from --node-ip)" : "found");
      config = config.withNodeFamilies(own);
    }
    log.info("configuration: {}", config.describe());
    return new ProxyRunner(spec.commandLine().getOut(), spec.commandLine().getErr(), bind, nodeFiles)
        .run(config, manifests);
  }

  /** The parsed {@code --userspace-bind} addresses (empty when unset); a usage error names the flag. */
  private List<IpAddress> userspaceBind(EffectiveConfig config) {
    if (userspaceBind == null || userspaceBind.isEmpty()) {
      return List.of();
    }
    if (proxyMode != null && config.mode() != ProxyMode.USERSPACE) {
      throw new ParameterException(spec.commandLine(),
          "--userspace-bind: runs the userspace mode; --proxy-mode " + proxyMode + " contradicts it");
    }
    List<IpAddress> addresses = new ArrayList<>();
    for (String value : userspaceBind) {
      if (!IpAddress.isValid(value.strip())) {
        throw new ParameterException(spec.commandLine(),
            "--userspace-bind: '" + value + "' is not an IP address");
      }
      IpAddress address = IpAddress.parse(value.strip());
      if (addresses.contains(address)) {
        throw new ParameterException(spec.commandLine(), "--userspace-bind: " + value + " given twice");
      }
      addresses.add(address);
    }
    return addresses;
  }

  /** Applies -v and --logging-format, then logs each warning of resolving once. */
  static void start(EffectiveConfig config) {
    LogOutput.apply(config.logging());
    config.warnings().forEach(log::warn);
  }

  /** Merges flags and the config file; invalid values become a usage error naming the flag. */
  public EffectiveConfig effectiveConfig() {
    FlagValues flags = ParsedFlags.of(spec);
    return resolve(spec, node, flags, hostname);
  }

  /** Shared with {@code trace}: loads the config file, logs its warnings, resolves, checks --manifests. */
  static EffectiveConfig resolve(
      CommandSpec spec, NodeOptions node, FlagValues flags, Supplier<String> hostname) {
    try {
      KubeProxyConfiguration file =
          node.config == null ? KubeProxyConfiguration.EMPTY : KubeProxyConfiguration.load(node.config);
      if (node.manifests != null && !Files.isDirectory(node.manifests)) {
        throw new ConfigException("--manifests: " + node.manifests + " is not a directory");
      }
      return ConfigResolver.resolve(flags, file, hostname);
    } catch (ConfigException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
