package dev.kubeproxy.bin.config;

import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.model.ProxyConfig;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the flags over the config file over upstream's defaults into an
 * {@link EffectiveConfig}, validating every value; a bad one throws {@link ConfigException}
 * naming the flag, or the config file and field, it came from.
 */
public final class ConfigResolver {
  private static final Logger log = LoggerFactory.getLogger(ConfigResolver.class);
  static final int HEALTHZ_PORT = 10256;
  static final int METRICS_PORT = 10249;
  static final Duration DEFAULT_SYNC_PERIOD = Duration.ofSeconds(30);
  static final Duration DEFAULT_MIN_SYNC_PERIOD = Duration.ofSeconds(1);
  static final int DEFAULT_MASQUERADE_BIT = 14;
  static final String FEATURE_PREFER_SAME_NODE = "PreferSameTrafficDistribution";
  private static final Splitter COMMA = Splitter.on(',').trimResults().omitEmptyStrings();

  private final FlagValues flags;
  private final KubeProxyConfiguration file;

  private ConfigResolver(FlagValues flags, KubeProxyConfiguration file) {
    this.flags = flags;
    this.file = file;
  }

  /**
   * @param hostname the OS host name, asked only when neither the flag nor the file names the
   *     node
   */
  public static EffectiveConfig resolve(
      FlagValues flags, KubeProxyConfiguration file, Supplier<String> hostname) {
    return new ConfigResolver(flags, file).resolve(hostname);
  }

  private EffectiveConfig resolve(Supplier<String> hostname) {
    Setting mode = pick(flags.proxyMode(), "--proxy-mode", file.mode(), "mode");
    ProxyMode proxyMode = proxyMode(mode);
    KubeProxyConfiguration.ModeSettings section =
        proxyMode == ProxyMode.IPTABLES ? file.iptables() : file.nftables();
    String sectionName = proxyMode == ProxyMode.IPTABLES ? "iptables" : "nftables";

    String nodeName = nodeName(hostname);
    Setting cidrText = pick(flags.clusterCidr(), "--cluster-cidr", file.clusterCidr(), "clusterCIDR");
    ImmutableList<Cidr> clusterCidrs = onePerFamily(cidrs(cidrText), cidrText, Cidr::family);

    Setting bindText = pick(flags.bindAddress(), "--bind-address", file.bindAddress(), "bindAddress");
    IpAddress bindAddress = bindText.isSet() ? ip(bindText) : IpAddress.parse("0.0.0.0");
    Setting nodeIpText = new Setting(flags.nodeIps(), "--node-ip");
    ImmutableList<IpAddress> nodeIps = onePerFamily(ips(nodeIpText), nodeIpText, IpAddress::family);
    if (nodeIps.isEmpty() && !bindAddress.toInetAddress().isAnyLocalAddress()) {
      // As upstream: a specific bind address is this node's IP.
      nodeIps = ImmutableList.of(bindAddress);
    }

    boolean ipv6 = bindAddress.family() == IpFamily.V6;
    HostPort healthz =
        server(
            pick(flags.healthzBindAddress(), "--healthz-bind-address", file.healthzBindAddress(),
                "healthzBindAddress"),
            (ipv6 ? "::" : "0.0.0.0"), HEALTHZ_PORT);
    HostPort metrics =
        server(
            pick(flags.metricsBindAddress(), "--metrics-bind-address", file.metricsBindAddress(),
                "metricsBindAddress"),
            (ipv6 ? "::1" : "127.0.0.1"), METRICS_PORT);

    NodePortAddresses nodePortAddresses = nodePortAddresses();
    boolean masqueradeAll =
        flags.masqueradeAll() != null
            ? flags.masqueradeAll()
            : section.masqueradeAll() != null && section.masqueradeAll();
    int masqueradeBit = section.masqueradeBit() == null ? DEFAULT_MASQUERADE_BIT : section.masqueradeBit();
    if (masqueradeBit < 0 || masqueradeBit > 31) {
      throw new ConfigException(
          fileField(sectionName + ".masqueradeBit") + ": " + masqueradeBit + " is outside 0..31");
    }
    Duration syncPeriod = orDefault(section.syncPeriod(), DEFAULT_SYNC_PERIOD);
    Duration minSyncPeriod = orDefault(section.minSyncPeriod(), DEFAULT_MIN_SYNC_PERIOD);
    if (syncPeriod.isNegative() || syncPeriod.isZero()) {
      throw new ConfigException(fileField(sectionName + ".syncPeriod") + ": must be positive");
    }
    if (minSyncPeriod.isNegative()) {
      throw new ConfigException(fileField(sectionName + ".minSyncPeriod") + ": must not be negative");
    }

    Detector detector = detector(clusterCidrs);
    boolean preferSameNode = file.featureGates().getOrDefault(FEATURE_PREFER_SAME_NODE, true);

    ProxyConfig proxy =
        ProxyConfig.builder(nodeName)
            .families(families(nodeIps, clusterCidrs, List.of()))
            .nodeIps(nodeIps)
            .clusterCidrs(clusterCidrs)
            .detectLocal(detector.mode(), detector.bridgeInterface(), detector.interfaceNamePrefix())
            .masqueradeAll(masqueradeAll)
            .masqueradeBit(masqueradeBit)
            .nodePortAddresses(nodePortAddresses)
            .preferSameNodeHints(preferSameNode)
            .build();
    String kubeconfig = flags.kubeconfig() != null ? flags.kubeconfig() : file.kubeconfig();
    return new EffectiveConfig(
        proxyMode, proxy, healthz, metrics, syncPeriod, minSyncPeriod, flags.manifests(),
        emptyToNull(kubeconfig), emptyToNull(flags.master()), flags.once(), flags.dryRun(),
        flags.cleanup());
  }

  /** The families of the given node IPs, cluster CIDRs and Node addresses; IPv4 when none. */
  static ImmutableSet<IpFamily> families(
      List<IpAddress> nodeIps, List<Cidr> clusterCidrs, List<IpAddress> nodeAddresses) {
    Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
    nodeIps.forEach(ip -> families.add(ip.family()));
    clusterCidrs.forEach(c -> families.add(c.family()));
    nodeAddresses.forEach(ip -> families.add(ip.family()));
    return families.isEmpty() ? ImmutableSet.of(IpFamily.V4) : ImmutableSet.copyOf(families);
  }

  /** A value and where it came from ({@code --flag}, or {@code config file F: field}). */
  private record Setting(String value, String source) {
    boolean isSet() {
      return value != null;
    }

    ConfigException error(String problem) {
      return new ConfigException(source + ": " + problem);
    }
  }

  private String fileField(String field) {
    return "config file " + file.origin() + ": " + field;
  }

  /**
   * The flag when given, else the config file field; when neither is set, the source named in
   * messages is the flag (and the field, if there is a config file).
   */
  private Setting pick(String flag, String flagName, String fileValue, String field) {
    if (flag != null) {
      return new Setting(flag, flagName);
    }
    if (fileValue != null) {
      return new Setting(fileValue, fileField(field));
    }
    return new Setting(
        null,
        file == KubeProxyConfiguration.EMPTY
            ? flagName
            : flagName + " (or " + field + " in config file " + file.origin() + ")");
  }

  private static ProxyMode proxyMode(Setting mode) {
    if (!mode.isSet() || mode.value().isEmpty()) {
      return ProxyMode.NFTABLES;
    }
    ProxyMode parsed;
    try {
      parsed = ProxyMode.parse(mode.value());
    } catch (IllegalArgumentException e) {
      throw mode.error(e.getMessage());
    }
    if (!parsed.built()) {
      throw mode.error("mode '" + parsed.flagValue() + "' is not built into this version (built: "
          + BackendRegistry.builtModes() + ")");
    }
    return parsed;
  }

  private String nodeName(Supplier<String> hostname) {
    Setting override =
        pick(flags.hostnameOverride(), "--hostname-override", file.hostnameOverride(), "hostnameOverride");
    String name =
        override.isSet() && !override.value().isBlank() ? override.value() : hostname.get();
    // Upstream trims and lowercases the node name.
    name = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
    if (name.isEmpty()) {
      throw new ConfigException("--hostname-override: the host name is empty; set a node name");
    }
    return name;
  }

  private static ImmutableList<Cidr> cidrs(Setting setting) {
    ImmutableList.Builder<Cidr> result = ImmutableList.builder();
    if (setting.isSet()) {
      for (String part : COMMA.split(setting.value())) {
        try {
          result.add(Cidr.parse(part));
        } catch (IllegalArgumentException e) {
          throw setting.error(e.getMessage());
        }
      }
    }
    return result.build();
  }

  private static ImmutableList<IpAddress> ips(Setting setting) {
    ImmutableList.Builder<IpAddress> result = ImmutableList.builder();
    if (setting.isSet()) {
      for (String part : COMMA.split(setting.value())) {
        result.add(ip(new Setting(part, setting.source())));
      }
    }
    return result.build();
  }

  private static IpAddress ip(Setting setting) {
    try {
      return IpAddress.parse(setting.value().strip());
    } catch (IllegalArgumentException e) {
      throw setting.error(e.getMessage());
    }
  }

  private static <T> ImmutableList<T> onePerFamily(
      ImmutableList<T> values, Setting setting, Function<T, IpFamily> family) {
    Set<IpFamily> seen = EnumSet.noneOf(IpFamily.class);
    for (T value : values) {
      if (!seen.add(family.apply(value))) {
        throw setting.error("at most one " + family.apply(value) + " value, got " + values);
      }
    }
    return values;
  }

  private static HostPort server(Setting setting, String defaultHost, int defaultPort) {
    if (!setting.isSet()) {
      return new HostPort(IpAddress.parse(defaultHost), defaultPort);
    }
    if (setting.value().isBlank()) {
      return null;
    }
    try {
      return HostPort.parse(setting.value().strip(), defaultPort);
    } catch (IllegalArgumentException e) {
      throw setting.error(e.getMessage());
    }
  }

  /** The flag's or config file's nodePortAddresses, parsed once; a bad entry names its source. */
  private NodePortAddresses nodePortAddresses() {
    Setting setting;
    List<String> entries;
    if (flags.nodePortAddresses() != null) {
      setting = new Setting(flags.nodePortAddresses(), "--nodeport-addresses");
      entries = COMMA.splitToList(flags.nodePortAddresses());
    } else {
      setting = new Setting("", fileField("nodePortAddresses"));
      entries = file.nodePortAddresses() == null ? List.of() : file.nodePortAddresses();
    }
    try {
      return NodePortAddresses.parse(entries);
    } catch (IllegalArgumentException e) {
      throw setting.error(e.getMessage());
    }
  }

  private record Detector(
      LocalTrafficDetector.Mode mode, String bridgeInterface, String interfaceNamePrefix) {}

  private Detector detector(List<Cidr> clusterCidrs) {
    Setting mode =
        pick(flags.detectLocalMode(), "--detect-local-mode", file.detectLocalMode(), "detectLocalMode");
    Setting bridge =
        pick(flags.bridgeInterface(), "--pod-bridge-interface", file.bridgeInterface(),
            "detectLocal.bridgeInterface");
    Setting prefix =
        pick(flags.interfaceNamePrefix(), "--pod-interface-name-prefix", file.interfaceNamePrefix(),
            "detectLocal.interfaceNamePrefix");
    String value = mode.isSet() && !mode.value().isEmpty() ? mode.value() : "ClusterCIDR";
    switch (value) {
      case "ClusterCIDR":
        if (clusterCidrs.isEmpty()) {
          log.info("detect-local-mode ClusterCIDR without --cluster-cidr: no local-traffic detection");
          return new Detector(LocalTrafficDetector.Mode.NONE, null, null);
        }
        return new Detector(LocalTrafficDetector.Mode.CLUSTER_CIDR, null, null);
      case "NodeCIDR":
        return new Detector(LocalTrafficDetector.Mode.NODE_CIDR, null, null);
      case "BridgeInterface":
        if (!bridge.isSet() || bridge.value().isBlank()) {
          throw bridge.error("must be set for detect-local-mode BridgeInterface");
        }
        return new Detector(LocalTrafficDetector.Mode.BRIDGE_INTERFACE, bridge.value().strip(), null);
      case "InterfaceNamePrefix":
        if (!prefix.isSet() || prefix.value().isBlank()) {
          throw prefix.error("must be set for detect-local-mode InterfaceNamePrefix");
        }
        return new Detector(
            LocalTrafficDetector.Mode.INTERFACE_NAME_PREFIX, null, prefix.value().strip());
      default:
        throw mode.error(
            "unknown mode '" + value
                + "' (want ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix)");
    }
  }

  private static Duration orDefault(Duration value, Duration fallback) {
    return value == null ? fallback : value;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
