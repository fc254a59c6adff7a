package dev.kubeproxy.bin.cli;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.bin.ProxyRunner;
import dev.kubeproxy.bin.config.EffectiveConfig;
import dev.kubeproxy.bin.config.FlagValues;
import dev.kubeproxy.bin.config.Hostname;
import dev.kubeproxy.bin.manifest.ManifestSource;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code trace}: where a packet to a Service goes on this node, and why, from manifests alone. */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Print which endpoints a packet may reach on this node, whether it is masqueraded, dropped or rejected, and why.",
      "Needs --manifests; no root, no kernel."
    })
final class TraceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin NodeOptions node;

  @Option(names = "--from", required = true, paramLabel = "ADDR", description = "The packet's source address.")
  String from;

  @Option(
      names = "--to",
      required = true,
      paramLabel = "ADDR:PORT/PROTO",
      description = "The destination, e.g. 10.96.0.10:80/tcp or [fd00::10]:53/udp (PROTO defaults to tcp).")
  String to;

  @Option(
      names = "--source",
      paramLabel = "pod|node|external",
      defaultValue = "pod",
      description = "Where the packet comes from: a local pod (default), the node itself, or outside the node.")
  String source;

  Supplier<String> hostname = Hostname::os;

  @Override
  public Integer call() {
    EffectiveConfig config = effectiveConfig();
    KubeProxyCommand.start(config);
    TraceRequest request = request();
    ManifestSource manifests = new ManifestSource(config.manifests(), config.proxy().nodeName());
    config = config.withNodeFamilies(manifests.load().node(config.proxy().nodeName()));
    return new ProxyRunner(spec.commandLine().getOut(), spec.commandLine().getErr())
        .trace(config, manifests, request);
  }

  EffectiveConfig effectiveConfig() {
    if (node.manifests == null) {
      throw new ParameterException(spec.commandLine(), "Missing required option: '--manifests=DIR'");
    }
    // The trace asks the model, which is the same for every mode; the mode only picks defaults.
    FlagValues flags = ParsedFlags.of(spec);
    return KubeProxyCommand.resolve(spec, node, flags, hostname);
  }

  /** Parses --from, --to and --source; a bad value is a usage error naming the flag. */
  TraceRequest request() {
    IpAddress source;
    TraceRequest.Destination destination;
    TraceRequest.Origin origin;
    try {
      source = IpAddress.parse(from.strip());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--from: " + e.getMessage());
    }
    try {
      destination = TraceRequest.Destination.parse(to);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--to: " + e.getMessage());
    }
    try {
      origin = TraceRequest.Origin.parse(this.source.strip());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--source: " + e.getMessage());
    }
    try {
      return new TraceRequest(source, destination.address(), destination.port(), destination.protocol(), origin);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--from/--to: " + e.getMessage());
    }
  }
}
