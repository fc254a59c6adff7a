package dev.kubeproxy.bin.config;

import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.ipvs.IpvsConfig;
import dev.kubeproxy.model.ProxyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
  private static final Splitter COMMA = Splitter.on(',').trimResults().omitEmptyStrings();

  /** Upstream flags accepted without effect here, with why. */
  static final ImmutableMap<String, String> IGNORED_FLAGS =
      ImmutableMap.<String, String>builder()
          .put("--kube-api-content-type", "this proxy's client always speaks JSON")
          .put("--kube-api-qps", "client rate limits are not supported")
          .put("--kube-api-burst", "client rate limits are not supported")
          .put("--config-sync-period", "informers here never resync periodically")
          .put("--profiling", "there is no /debug/pprof in a JVM")
          .put("--show-hidden-metrics-for-version", "no metric is hidden here")
          .put("--vmodule", "per-file verbosity is not supported")
          .put("--log-flush-frequency", "log lines are written at once")
          .put("--log-json-info-buffer-size", "log lines are written at once")
          .put("--log-json-split-stream", "all log lines go to stderr")
          .put("--log-text-info-buffer-size", "log lines are written at once")
          .put("--log-text-split-stream", "all log lines go to stderr")
          .buildOrThrow();

  private final FlagValues flags;
  private final KubeProxyConfiguration file;
  private final List<String> warnings = new ArrayList<>();

  private ConfigResolver(FlagValues flags, KubeProxyConfiguration file) {
    this.file = file;
    if (file == KubeProxyConfiguration.EMPTY) {
      this.flags = flags;
    } else {
      // As upstream: the file replaces the flags, except --hostname-override, logging and switches.
      this.flags = flags.besideConfigFile();
      warnings.addAll(file.warnings());
      if (!flags.replacedByConfigFile().isEmpty()) {
        warnings.add("--config " + file.origin() + " replaces the flags " + String.join(", ",
            flags.replacedByConfigFile()) + " (as upstream: a config file's values win)");
      }
    }
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
    ProxyMode proxyMode = proxyMode(pick("--proxy-mode", file.mode(), "mode"));
    ModeSection section = ModeSection.of(proxyMode, file);
    if (file != KubeProxyConfiguration.EMPTY) {
      for (ModeSection other : ModeSection.others(proxyMode, file)) {
        if (!other.settings().equals(KubeProxyConfiguration.ModeSettings.UNSET)
            && !isFalseOnly(other.settings())) {
          warnings.add(fileField(other.name()) + ": not read in " + proxyMode.flagValue()
              + " mode (each mode reads its own section, as upstream)");
        }
      }
      file.ignoredFields().forEach(
          field -> warnings.add(fileField(field) + ": accepted but not supported by this proxy; ignored"));
    }
    flags.given().keySet().stream()
        .filter(IGNORED_FLAGS::containsKey)
        .forEach(name -> warnings.add(name + ": accepted but " + IGNORED_FLAGS.get(name) + "; ignored"));

    String nodeName = nodeName(hostname);
    Setting cidrText = pick("--cluster-cidr", file.clusterCidr(), "clusterCIDR");
    ImmutableList<Cidr> clusterCidrs = onePerFamily(cidrs(cidrText), cidrText, Cidr::family);

    Setting bindText = pick("--bind-address", file.bindAddress(), "bindAddress");
    IpAddress bindAddress = bindText.isSet() ? ip(bindText) : IpAddress.parse("0.0.0.0");
    Setting nodeIpText = new Setting(flags.get("--node-ip"), "--node-ip");
    ImmutableList<IpAddress> nodeIps = onePerFamily(ips(nodeIpText), nodeIpText, IpAddress::family);
    if (!bindAddress.toInetAddress().isAnyLocalAddress()) {
      // As upstream: a specific bind address is this node's primary IP of its family.
      List<IpAddress> merged = new ArrayList<>();
      merged.add(bindAddress);
      nodeIps.stream().filter(ip -> ip.family() != bindAddress.family()).forEach(merged::add);
      nodeIps = ImmutableList.copyOf(merged);
    }

    boolean ipv6 = bindAddress.family() == IpFamily.V6;
    HostPort healthz =
        server(
            pick("--healthz-bind-address", file.healthzBindAddress(), "healthzBindAddress"),
            (ipv6 ? "::" : "0.0.0.0"), HEALTHZ_PORT, integer("--healthz-port"));
    HostPort metrics =
        server(
            pick("--metrics-bind-address", file.metricsBindAddress(), "metricsBindAddress"),
            (ipv6 ? "::1" : "127.0.0.1"), METRICS_PORT, integer("--metrics-port"));
    boolean hardFail = flags.has("--bind-address-hard-fail")
        ? flags.isOn("--bind-address-hard-fail")
        : file.bindAddressHardFail();

    NodePortAddresses nodePortAddresses = nodePortAddresses(proxyMode);
    boolean masqueradeAll =
        flags.has("--masquerade-all")
            ? flags.isOn("--masquerade-all")
            : section.settings().masqueradeAll() != null && section.settings().masqueradeAll();
    int masqueradeBit = masqueradeBit(proxyMode, section);
    Duration syncPeriod = syncPeriod(proxyMode, section, false);
    Duration minSyncPeriod = syncPeriod(proxyMode, section, true);

    Detector detector = detector(clusterCidrs);
    ImmutableMap<String, Boolean> featureGates = featureGates();
    boolean preferSameNode = featureGates.getOrDefault(FeatureGates.PREFER_SAME_NODE, true);

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
    String kubeconfig = flags.has("--kubeconfig") ? flags.get("--kubeconfig") : file.kubeconfig();
    String writeConfigTo = emptyToNull(flags.get("--write-config-to"));
    EffectiveConfig.Switches switches =
        new EffectiveConfig.Switches(
            flags.isOn("--once"), flags.isOn("--dry-run"), flags.isOn("--cleanup"),
            flags.isOn("--init-only"), writeConfigTo == null ? null : Path.of(writeConfigTo));
    String manifests = flags.get("--manifests");
    String configFile = flags.get("--config");
    return new EffectiveConfig(
        proxyMode, proxy, bindAddress, healthz, metrics, hardFail, syncPeriod, minSyncPeriod,
        modeOptions(proxyMode), nodeSetup(), featureGates, logSettings(), manifests == null ? null : Path.of(manifests),
        emptyToNull(kubeconfig), emptyToNull(flags.get("--master")),
        configFile == null || file == KubeProxyConfiguration.EMPTY ? null : Path.of(configFile),
        switches, ImmutableList.copyOf(warnings));
  }

  private static boolean isFalseOnly(KubeProxyConfiguration.ModeSettings s) {
    return Boolean.FALSE.equals(s.masqueradeAll())
        && s.masqueradeBit() == null && s.syncPeriod() == null && s.minSyncPeriod() == null
        && s.localhostNodePorts() == null;
  }

  /** A mode's section of the config file and its name. */
  private record ModeSection(String name, KubeProxyConfiguration.ModeSettings settings) {
    /** Upstream reads the ipvs section in ipvs mode, nftables in nftables mode, iptables otherwise. */
    static ModeSection of(ProxyMode mode, KubeProxyConfiguration file) {
      return switch (mode) {
        case NFTABLES -> new ModeSection("nftables", file.nftables());
        case IPVS -> new ModeSection("ipvs", file.ipvs());
        default -> new ModeSection("iptables", file.iptables());
      };
    }

    static List<ModeSection> others(ProxyMode mode, KubeProxyConfiguration file) {
      String own = of(mode, file).name();
      return List.of(
              new ModeSection("iptables", file.iptables()),
              new ModeSection("nftables", file.nftables()),
              new ModeSection("ipvs", file.ipvs()))
          .stream()
          .filter(s -> !s.name().equals(own))
          .toList();
    }
  }

  private int masqueradeBit(ProxyMode mode, ModeSection section) {
    Setting setting;
    if (flags.has("--iptables-masquerade-bit")) {
      if (mode == ProxyMode.NFTABLES) {
        warnings.add("--iptables-masquerade-bit: not read in nftables mode (upstream reads"
            + " nftables.masqueradeBit from the config file only); ignored");
        setting = new Setting(null, "--iptables-masquerade-bit");
      } else {
        setting = new Setting(flags.get("--iptables-masquerade-bit"), "--iptables-masquerade-bit");
      }
    } else {
      Integer bit = section.settings().masqueradeBit();
      setting = new Setting(bit == null ? null : bit.toString(), fileField(section.name() + ".masqueradeBit"));
    }
    int bit = setting.isSet() ? parseInt(setting) : DEFAULT_MASQUERADE_BIT;
    if (bit < 0 || bit > 31) {
      throw setting.error(bit + " is outside 0..31");
    }
    return bit;
  }

  /**
   * The mode's sync period (or minimum sync period): from the file's section of the mode, or
   * without a file from {@code --ipvs-*} in ipvs mode and {@code --iptables-*} in the others (as
   * upstream); zero in the file means the default.
   */
  private Duration syncPeriod(ProxyMode mode, ModeSection section, boolean min) {
    String kind = min ? "min-sync-period" : "sync-period";
    String flag = (mode == ProxyMode.IPVS ? "--ipvs-" : "--iptables-") + kind;
    String otherFlag = (mode == ProxyMode.IPVS ? "--iptables-" : "--ipvs-") + kind;
    if (flags.has(otherFlag)) {
      warnings.add(otherFlag + ": not read in " + mode.flagValue() + " mode; ignored");
    }
    Duration fallback =
        min ? (mode == ProxyMode.IPVS ? Duration.ZERO : DEFAULT_MIN_SYNC_PERIOD) : DEFAULT_SYNC_PERIOD;
    Setting setting;
    if (flags.has(flag)) {
      setting = new Setting(flags.get(flag), flag);
    } else {
      Duration fromFile = min ? section.settings().minSyncPeriod() : section.settings().syncPeriod();
      setting = new Setting(
          fromFile == null ? null : GoDuration.format(fromFile),
          fileField(section.name() + (min ? ".minSyncPeriod" : ".syncPeriod")));
      if (fromFile != null) {
        return check(fromFile, setting, min);
      }
    }
    return setting.isSet() ? check(duration(setting), setting, min) : fallback;
  }

  private static Duration check(Duration d, Setting setting, boolean min) {
    if (min ? d.isNegative() : d.isNegative() || d.isZero()) {
      throw setting.error(min ? "must not be negative" : "must be positive");
    }
    return d;
  }

  private ImmutableMap<String, Boolean> featureGates() {
    try {
      return flags.has("--feature-gates")
          ? FeatureGates.parse(flags.get("--feature-gates"))
          : FeatureGates.check(file.featureGates());
    } catch (IllegalArgumentException e) {
      throw (flags.has("--feature-gates")
              ? new Setting("", "--feature-gates")
              : new Setting("", fileField("featureGates")))
          .error(e.getMessage());
    }
  }

  /**
   * {@code iptables.localhostNodePorts} and the {@code ipvs.*} settings, from the flags or the
   * file; each is read only in its own mode (as upstream), a value given for another mode is
   * named in a warning.
   */
  private ModeOptions modeOptions(ProxyMode mode) {
    Boolean localhostFromFile = file.iptables().localhostNodePorts();
    Setting localhost = flags.has("--iptables-localhost-nodeports")
        ? new Setting(flags.get("--iptables-localhost-nodeports"), "--iptables-localhost-nodeports")
        : new Setting(localhostFromFile == null ? null : localhostFromFile.toString(),
            fileField("iptables.localhostNodePorts"));
    boolean localhostNodePorts = !localhost.isSet() || bool(localhost);
    if (flags.has("--iptables-localhost-nodeports") && mode != ProxyMode.IPTABLES) {
      // (A file's iptables section is already named when another mode runs.)
      warnings.add("--iptables-localhost-nodeports: read in iptables mode only; ignored");
    }
    KubeProxyConfiguration.IpvsFields f = file.ipvsFields();
    Setting scheduler = pick("--ipvs-scheduler", f.scheduler(), "ipvs.scheduler");
    Setting exclude = pick("--ipvs-exclude-cidrs",
        f.excludeCidrs() == null ? null : String.join(",", f.excludeCidrs()), "ipvs.excludeCIDRs");
    Setting strictArp = pick("--ipvs-strict-arp",
        Boolean.TRUE.equals(f.strictArp()) ? "true" : null, "ipvs.strictARP");
    List<Setting> ipvsSettings = new ArrayList<>(List.of(scheduler, exclude, strictArp));
    Duration tcp = ipvsTimeout("--ipvs-tcp-timeout", f.tcpTimeout(), "ipvs.tcpTimeout", ipvsSettings);
    Duration tcpFin = ipvsTimeout("--ipvs-tcpfin-timeout", f.tcpFinTimeout(), "ipvs.tcpFinTimeout", ipvsSettings);
    Duration udp = ipvsTimeout("--ipvs-udp-timeout", f.udpTimeout(), "ipvs.udpTimeout", ipvsSettings);
    if (mode != ProxyMode.IPVS) {
      ipvsSettings.stream().filter(Setting::isSet).forEach(
          s -> warnings.add(s.source() + ": read in ipvs mode only; ignored"));
      return new ModeOptions(localhostNodePorts, ModeOptions.DEFAULTS.ipvs());
    }
    if (scheduler.isSet() && !IpvsConfig.SCHEDULERS.contains(scheduler.value())) {
      throw scheduler.error("'" + scheduler.value() + "' is not an IPVS scheduler (want one of "
          + String.join(", ", IpvsConfig.SCHEDULERS) + ")");
    }
    IpvsConfig ipvs = IpvsConfig.withScheduler(scheduler.isSet() ? scheduler.value() : "rr")
        .withExcludeCidrs(cidrs(exclude))
        .withStrictArp(strictArp.isSet() && bool(strictArp))
        .withTimeouts(tcp, tcpFin, udp);
    return new ModeOptions(localhostNodePorts, ipvs);
  }

  /** An IPVS timeout (zero: keep the kernel's); its Setting joins {@code seen} when given. */
  private Duration ipvsTimeout(String flag, Duration fromFile, String field, List<Setting> seen) {
    Setting setting = pick(flag, fromFile == null ? null : GoDuration.format(fromFile), field);
    seen.add(setting);
    Duration d = setting.isSet() ? duration(setting) : Duration.ZERO;
    if (d.isNegative()) {
      throw setting.error("must not be negative");
    }
    return d;
  }

  private static boolean bool(Setting setting) {
    String v = setting.value().strip().toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw setting.error("'" + setting.value() + "' is not true or false");
    }
    return v.equals("true");
  }

  private NodeSetupSettings nodeSetup() {
    KubeProxyConfiguration.ConntrackFields c = file.conntrack();
    ConntrackSettings d = ConntrackSettings.DEFAULTS;
    int maxPerCore = nonNegative(intOr("--conntrack-max-per-core", c.maxPerCore(), "conntrack.maxPerCore", d.maxPerCore()));
    int min = nonNegative(intOr("--conntrack-min", c.min(), "conntrack.min", d.min()));
    Duration established = durationOr("--conntrack-tcp-timeout-established", c.tcpEstablishedTimeout(),
        "conntrack.tcpEstablishedTimeout", d.tcpEstablishedTimeout());
    Duration closeWait = durationOr("--conntrack-tcp-timeout-close-wait", c.tcpCloseWaitTimeout(),
        "conntrack.tcpCloseWaitTimeout", d.tcpCloseWaitTimeout());
    boolean beLiberal = flags.has("--conntrack-tcp-be-liberal")
        ? flags.isOn("--conntrack-tcp-be-liberal")
        : c.tcpBeLiberal();
    Duration udp = durationOr("--conntrack-udp-timeout", c.udpTimeout(), "conntrack.udpTimeout", d.udpTimeout());
    Duration udpStream = durationOr("--conntrack-udp-timeout-stream", c.udpStreamTimeout(),
        "conntrack.udpStreamTimeout", d.udpStreamTimeout());
    Setting oom = file.oomScoreAdj() != null && !flags.has("--oom-score-adj")
        ? new Setting(file.oomScoreAdj().toString(), fileField("oomScoreAdj"))
        : new Setting(flags.get("--oom-score-adj"), "--oom-score-adj");
    int oomScoreAdj = oom.isSet() ? parseInt(oom) : NodeSetupSettings.DEFAULT_OOM_SCORE_ADJ;
    if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
      throw oom.error(oomScoreAdj + " is outside -1000..1000");
    }
    return new NodeSetupSettings(
        oomScoreAdj,
        new ConntrackSettings(maxPerCore, min, established, closeWait, beLiberal, udp, udpStream));
  }

  private LogSettings logSettings() {
    Setting v = flags.has("-v")
        ? new Setting(flags.get("-v"), "-v")
        : new Setting(file.verbosity() == null ? null : file.verbosity().toString(), fileField("logging.verbosity"));
    int verbosity = v.isSet() ? parseInt(v) : 0;
    if (verbosity < 0) {
      throw v.error("must not be negative");
    }
    Setting format = flags.has("--logging-format")
        ? new Setting(flags.get("--logging-format"), "--logging-format")
        : new Setting(file.loggingFormat(), fileField("logging.format"));
    String f = format.isSet() ? format.value() : "text";
    if (!f.equals("text") && !f.equals("json")) {
      throw format.error("'" + f + "' is not text or json");
    }
    return new LogSettings(verbosity, f);
  }

  private int nonNegative(Setting setting) {
    int value = parseInt(setting);
    if (value < 0) {
      throw setting.error("must not be negative");
    }
    return value;
  }

  /** The flag, else the file's field, else {@code fallback}; the Setting names where it came from. */
  private Setting intOr(String flag, Integer fromFile, String field, int fallback) {
    if (flags.has(flag)) {
      return new Setting(flags.get(flag), flag);
    }
    return fromFile != null
        ? new Setting(fromFile.toString(), fileField(field))
        : new Setting(Integer.toString(fallback), flag);
  }

  private Duration durationOr(String flag, Duration fromFile, String field, Duration fallback) {
    Duration d;
    Setting setting;
    if (flags.has(flag)) {
      setting = new Setting(flags.get(flag), flag);
      d = duration(setting);
    } else {
      setting = new Setting("", fileField(field));
      d = fromFile != null ? fromFile : fallback;
    }
    if (d.isNegative()) {
      throw setting.error("must not be negative");
    }
    return d;
  }

  private Integer integer(String flag) {
    return flags.has(flag) ? parseInt(new Setting(flags.get(flag), flag)) : null;
  }

  private static int parseInt(Setting setting) {
    try {
      return Integer.parseInt(setting.value().strip());
    } catch (NumberFormatException e) {
      throw setting.error("'" + setting.value() + "' is not an integer");
    }
  }

  private static Duration duration(Setting setting) {
    try {
      return GoDuration.parse(setting.value().strip());
    } catch (IllegalArgumentException e) {
      throw setting.error(e.getMessage());
    }
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
  private Setting pick(String flagName, String fileValue, String field) {
    if (flags.has(flagName)) {
      return new Setting(flags.get(flagName), flagName);
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
      // Upstream's default mode on Linux.
      return ProxyMode.IPTABLES;
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
    Setting override = pick("--hostname-override", file.hostnameOverride(), "hostnameOverride");
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

  /**
   * A server address: unset gives the default host and port; empty disables the server; a
   * deprecated port flag ({@code --healthz-port}, {@code --metrics-port}) of 0 disables it too and
   * otherwise is the port of an address without one, as upstream.
   */
  private static HostPort server(Setting setting, String defaultHost, int defaultPort, Integer portFlag) {
    if (portFlag != null) {
      if (portFlag == 0) {
        return null;
      }
      defaultPort = portFlag;
    }
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

  /**
   * The flag's or config file's nodePortAddresses, parsed once; a bad entry names its source.
   * Unset means every local address, except in nftables mode where upstream defaults to
   * {@code primary}.
   */
  private NodePortAddresses nodePortAddresses(ProxyMode mode) {
    Setting setting;
    List<String> entries;
    if (flags.has("--nodeport-addresses")) {
      setting = new Setting(flags.get("--nodeport-addresses"), "--nodeport-addresses");
      entries = COMMA.splitToList(flags.get("--nodeport-addresses"));
    } else {
      setting = new Setting("", fileField("nodePortAddresses"));
      entries = file.nodePortAddresses() == null ? List.of() : file.nodePortAddresses();
    }
    if (entries.isEmpty() && mode == ProxyMode.NFTABLES) {
      return NodePortAddresses.PRIMARY;
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
    Setting mode = pick("--detect-local-mode", file.detectLocalMode(), "detectLocalMode");
    Setting bridge =
        pick("--pod-bridge-interface", file.bridgeInterface(), "detectLocal.bridgeInterface");
    Setting prefix =
        pick("--pod-interface-name-prefix", file.interfaceNamePrefix(), "detectLocal.interfaceNamePrefix");
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

  private static String emptyToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
