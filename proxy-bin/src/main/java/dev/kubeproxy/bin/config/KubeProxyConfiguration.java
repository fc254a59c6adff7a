package dev.kubeproxy.bin.config;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * An upstream {@code kubeproxy.config.k8s.io/v1alpha1} KubeProxyConfiguration file as this proxy
 * reads it. As upstream, a zero value ({@code ""}, {@code 0}, {@code 0s}, {@code null}, an empty
 * list) means "use the default" and is held here as null; upstream's pointer fields
 * ({@code masqueradeBit}, {@code localhostNodePorts}, {@code oomScoreAdj}, {@code conntrack.maxPerCore},
 * {@code conntrack.min}, the two TCP conntrack timeouts) keep an explicit {@code 0} because
 * upstream gives it a meaning. Upstream fields this proxy does not honour are listed in
 * {@link #ignoredFields()} when set to a non-zero value; fields upstream does not know are in
 * {@link #warnings()}. {@code origin} is the file name that messages cite.
 */
public record KubeProxyConfiguration(
    String mode,
    String clusterCidr,
    String hostnameOverride,
    String bindAddress,
    String healthzBindAddress,
    String metricsBindAddress,
    boolean bindAddressHardFail,
    ImmutableList<String> nodePortAddresses,
    String detectLocalMode,
    String bridgeInterface,
    String interfaceNamePrefix,
    ModeSettings iptables,
    ModeSettings nftables,
    ModeSettings ipvs,
    IpvsFields ipvsFields,
    ImmutableMap<String, Boolean> featureGates,
    String kubeconfig,
    Integer oomScoreAdj,
    ConntrackFields conntrack,
    Integer verbosity,
    String loggingFormat,
    ImmutableList<String> ignoredFields,
    ImmutableList<String> warnings,
    String origin) {

  public static final String API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
  public static final String KIND = "KubeProxyConfiguration";

  /** No file: every field unset. */
  public static final KubeProxyConfiguration EMPTY =
      new KubeProxyConfiguration(
          null, null, null, null, null, null, false, null, null, null, null, ModeSettings.UNSET,
          ModeSettings.UNSET, ModeSettings.UNSET, IpvsFields.UNSET, ImmutableMap.of(), null, null,
          ConntrackFields.UNSET, null, null, ImmutableList.of(), ImmutableList.of(), "(none)");

  /**
   * A mode's own section ({@code iptables:}, {@code nftables:}, {@code ipvs:}); null fields are
   * unset. {@code localhostNodePorts} exists in the iptables section only.
   */
  public record ModeSettings(
      Boolean masqueradeAll,
      Integer masqueradeBit,
      Duration syncPeriod,
      Duration minSyncPeriod,
      Boolean localhostNodePorts) {
    public static final ModeSettings UNSET = new ModeSettings(null, null, null, null, null);
  }

  /** The IPVS-only fields of the {@code ipvs:} section; null fields are unset. */
  public record IpvsFields(
      String scheduler,
      ImmutableList<String> excludeCidrs,
      Boolean strictArp,
      Duration tcpTimeout,
      Duration tcpFinTimeout,
      Duration udpTimeout) {
    public static final IpvsFields UNSET = new IpvsFields(null, null, null, null, null, null);
  }

  /** The {@code conntrack:} section; null fields are unset. */
  public record ConntrackFields(
      Integer maxPerCore,
      Integer min,
      Duration tcpEstablishedTimeout,
      Duration tcpCloseWaitTimeout,
      boolean tcpBeLiberal,
      Duration udpTimeout,
      Duration udpStreamTimeout) {
    public static final ConntrackFields UNSET =
        new ConntrackFields(null, null, null, null, false, null, null);
  }

  // Upstream v1alpha1 fields (dotted paths); anything else is reported as unknown.
  static final ImmutableSet<String> KNOWN =
      ImmutableSet.of(
          "apiVersion", "kind", "featureGates", "clientConnection", "clientConnection.kubeconfig",
          "clientConnection.acceptContentTypes", "clientConnection.contentType",
          "clientConnection.qps", "clientConnection.burst", "logging", "hostnameOverride",
          "bindAddress", "healthzBindAddress", "metricsBindAddress", "bindAddressHardFail",
          "enableProfiling", "showHiddenMetricsForVersion", "mode", "iptables",
          "iptables.masqueradeBit", "iptables.masqueradeAll", "iptables.localhostNodePorts",
          "iptables.syncPeriod", "iptables.minSyncPeriod", "ipvs", "ipvs.syncPeriod",
          "ipvs.minSyncPeriod", "ipvs.scheduler", "ipvs.excludeCIDRs", "ipvs.strictARP",
          "ipvs.tcpTimeout", "ipvs.tcpFinTimeout", "ipvs.udpTimeout", "nftables",
          "nftables.masqueradeBit", "nftables.masqueradeAll", "nftables.syncPeriod",
          "nftables.minSyncPeriod", "winkernel", "detectLocalMode", "detectLocal",
          "detectLocal.bridgeInterface", "detectLocal.interfaceNamePrefix", "clusterCIDR",
          "nodePortAddresses", "oomScoreAdj", "conntrack", "conntrack.maxPerCore", "conntrack.min",
          "conntrack.tcpEstablishedTimeout", "conntrack.tcpCloseWaitTimeout",
          "conntrack.tcpBeLiberal", "conntrack.udpTimeout", "conntrack.udpStreamTimeout",
          "configSyncPeriod", "portRange");
  // Fields whose contents are free-form maps (or Windows-only) and are not checked further.
  private static final ImmutableSet<String> OPAQUE = ImmutableSet.of("featureGates", "logging", "winkernel");

  /**
   * Upstream fields this proxy accepts but does not act on; each is named in one warning when
   * the file sets it to a non-zero value.
   */
  static final ImmutableList<String> NOT_HONOURED =
      ImmutableList.of(
          "clientConnection.acceptContentTypes", "clientConnection.contentType",
          "clientConnection.qps", "clientConnection.burst", "enableProfiling",
          "showHiddenMetricsForVersion", "winkernel",
          "configSyncPeriod", "portRange", "logging.flushFrequency", "logging.vmodule",
          "logging.options");

  /** Reads and parses {@code file}; errors name the file and the field. */
  public static KubeProxyConfiguration load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("--config: cannot read " + file + ": " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  /** Parses the YAML {@code text}; {@code origin} (the file name) prefixes every message. */
  public static KubeProxyConfiguration parse(String text, String origin) {
    Fields f = new Fields(origin);
    Object raw;
    try {
      raw = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (YAMLException e) {
      throw new ConfigException(
          "config file " + origin + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (!(raw instanceof Map<?, ?> root)) {
      throw new ConfigException("config file " + origin + ": not a YAML mapping");
    }
    String apiVersion = f.string(root, "apiVersion");
    String kind = f.string(root, "kind");
    if (!API_VERSION.equals(apiVersion) || !KIND.equals(kind)) {
      throw new ConfigException(
          "config file " + origin + ": apiVersion/kind: want " + API_VERSION + " " + KIND
              + ", got " + apiVersion + " " + kind);
    }
    List<String> warnings = new ArrayList<>();
    unknownFields(root, "", origin, warnings);
    ImmutableList<String> ignored =
        NOT_HONOURED.stream()
            .filter(path -> !Zero.isZero(Zero.at(root, path)))
            .collect(ImmutableList.toImmutableList());
    Map<?, ?> detectLocal = f.map(root, "detectLocal");
    Map<?, ?> clientConnection = f.map(root, "clientConnection");
    Map<?, ?> logging = f.map(root, "logging");
    Map<?, ?> conntrack = f.map(root, "conntrack");
    return new KubeProxyConfiguration(
        f.string(root, "mode"),
        f.string(root, "clusterCIDR"),
        f.string(root, "hostnameOverride"),
        f.string(root, "bindAddress"),
        f.string(root, "healthzBindAddress"),
        f.string(root, "metricsBindAddress"),
        Boolean.TRUE.equals(f.bool(root, "bindAddressHardFail")),
        f.stringList(root, "nodePortAddresses"),
        f.string(root, "detectLocalMode"),
        f.string(detectLocal, "detectLocal.bridgeInterface"),
        f.string(detectLocal, "detectLocal.interfaceNamePrefix"),
        f.mode(root, "iptables"),
        f.mode(root, "nftables"),
        f.mode(root, "ipvs"),
        f.ipvs(f.map(root, "ipvs")),
        f.boolMap(root, "featureGates"),
        f.string(clientConnection, "clientConnection.kubeconfig"),
        f.pointerInteger(root, "oomScoreAdj"),
        new ConntrackFields(
            f.pointerInteger(conntrack, "conntrack.maxPerCore"),
            f.pointerInteger(conntrack, "conntrack.min"),
            f.pointerDuration(conntrack, "conntrack.tcpEstablishedTimeout"),
            f.pointerDuration(conntrack, "conntrack.tcpCloseWaitTimeout"),
            Boolean.TRUE.equals(f.bool(conntrack, "conntrack.tcpBeLiberal")),
            f.duration(conntrack, "conntrack.udpTimeout"),
            f.duration(conntrack, "conntrack.udpStreamTimeout")),
        f.integer(logging, "logging.verbosity"),
        f.string(logging, "logging.format"),
        ignored,
        ImmutableList.copyOf(warnings),
        origin);
  }

  private static void unknownFields(Map<?, ?> map, String prefix, String origin, List<String> out) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String path = prefix + e.getKey();
      if (!KNOWN.contains(path)) {
        out.add("config file " + origin + ": unknown field '" + path + "' is ignored");
      } else if (!OPAQUE.contains(path) && e.getValue() instanceof Map<?, ?> child) {
        unknownFields(child, path + ".", origin, out);
      }
    }
  }

  /** Typed access to raw YAML values by dotted path, naming the field when a type is wrong. */
  private record Fields(String origin) {
    private ConfigException wrongType(String path, String want, Object got) {
      return new ConfigException(
          "config file " + origin + ": field '" + path + "': want " + want + ", got '" + got + "'");
    }

    private static Object get(Map<?, ?> map, String path) {
      return map == null ? null : map.get(path.substring(path.lastIndexOf('.') + 1));
    }

    /** The field at {@code path}: null when absent, else it must be a {@code type}. */
    private <T> T typed(Map<?, ?> map, String path, Class<T> type, String expected) {
      Object v = get(map, path);
      if (v == null || type.isInstance(v)) {
        return type.cast(v);
      }
      throw wrongType(path, expected, v);
    }

    /** A string field; {@code ""} is unset. */
    String string(Map<?, ?> map, String path) {
      String s = typed(map, path, String.class, "a string");
      return s == null || s.isEmpty() ? null : s;
    }

    Boolean bool(Map<?, ?> map, String path) {
      return typed(map, path, Boolean.class, "true or false");
    }

    /** A plain integer field; {@code 0} is unset. */
    Integer integer(Map<?, ?> map, String path) {
      Integer i = pointerInteger(map, path);
      return i == null || i == 0 ? null : i;
    }

    /** An integer upstream holds by pointer: only {@code null} is unset. */
    Integer pointerInteger(Map<?, ?> map, String path) {
      return typed(map, path, Integer.class, "an integer");
    }

    /** A plain duration field; {@code 0s} is unset. */
    Duration duration(Map<?, ?> map, String path) {
      Duration d = pointerDuration(map, path);
      return d == null || d.isZero() ? null : d;
    }

    /** A duration upstream holds by pointer: only {@code null} is unset. */
    Duration pointerDuration(Map<?, ?> map, String path) {
      Object v = get(map, path);
      if (v == null) {
        return null;
      }
      if (v instanceof String s) {
        try {
          return GoDuration.parse(s);
        } catch (IllegalArgumentException e) {
          throw new ConfigException("config file " + origin + ": field '" + path + "': " + e.getMessage());
        }
      }
      if (v instanceof Integer i && i == 0) {
        return Duration.ZERO;
      }
      throw wrongType(path, "a duration such as \"30s\"", v);
    }

    Map<?, ?> map(Map<?, ?> map, String path) {
      return typed(map, path, Map.class, "a mapping");
    }

    /** A list of strings; an empty list is unset. */
    ImmutableList<String> stringList(Map<?, ?> map, String path) {
      Object v = get(map, path);
      if (v == null) {
        return null;
      }
      if (v instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
        return list.isEmpty()
            ? null
            : list.stream().map(String.class::cast).collect(ImmutableList.toImmutableList());
      }
      throw wrongType(path, "a list of strings", v);
    }

    ImmutableMap<String, Boolean> boolMap(Map<?, ?> map, String path) {
      Map<?, ?> gates = map(map, path);
      if (gates == null) {
        return ImmutableMap.of();
      }
      ImmutableMap.Builder<String, Boolean> b = ImmutableMap.builder();
      for (Map.Entry<?, ?> e : gates.entrySet()) {
        if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof Boolean on)) {
          throw wrongType(path + "." + e.getKey(), "true or false", e.getValue());
        }
        b.put(name, on);
      }
      return b.buildOrThrow();
    }

    IpvsFields ipvs(Map<?, ?> m) {
      return new IpvsFields(
          string(m, "ipvs.scheduler"),
          stringList(m, "ipvs.excludeCIDRs"),
          bool(m, "ipvs.strictARP"),
          duration(m, "ipvs.tcpTimeout"),
          duration(m, "ipvs.tcpFinTimeout"),
          duration(m, "ipvs.udpTimeout"));
    }

    ModeSettings mode(Map<?, ?> root, String section) {
      Map<?, ?> m = map(root, section);
      return new ModeSettings(
          bool(m, section + ".masqueradeAll"),
          pointerInteger(m, section + ".masqueradeBit"),
          duration(m, section + ".syncPeriod"),
          duration(m, section + ".minSyncPeriod"),
          bool(m, section + ".localhostNodePorts"));
    }
  }
}
