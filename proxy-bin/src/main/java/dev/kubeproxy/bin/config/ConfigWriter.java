package dev.kubeproxy.bin.config;

import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.ipvs.IpvsConfig;
import dev.kubeproxy.model.ProxyConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The effective configuration as an upstream v1alpha1 KubeProxyConfiguration, for
 * {@code --write-config-to} and {@code /configz}: every field this proxy resolves, at its
 * effective value, so that reading the file back with {@code --config} gives the same run.
 */
public final class ConfigWriter {
  private ConfigWriter() {}

  /** The configuration as nested maps, in upstream's field names and order. */
  public static Map<String, Object> toMap(EffectiveConfig c) {
    ProxyConfig p = c.proxy();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("apiVersion", KubeProxyConfiguration.API_VERSION);
    m.put("kind", KubeProxyConfiguration.KIND);
    m.put("bindAddress", c.bindAddress().toString());
    m.put("bindAddressHardFail", c.bindAddressHardFail());
    m.put("clientConnection", map("kubeconfig", c.kubeconfig() == null ? "" : c.kubeconfig()));
    m.put("clusterCIDR", String.join(",", p.clusterCidrs().stream().map(Cidr::toString).toList()));
    ConntrackSettings ct = c.nodeSetup().conntrack();
    m.put("conntrack", map(
        "maxPerCore", ct.maxPerCore(), "min", ct.min(),
        "tcpBeLiberal", ct.tcpBeLiberal(),
        "tcpCloseWaitTimeout", GoDuration.format(ct.tcpCloseWaitTimeout()),
        "tcpEstablishedTimeout", GoDuration.format(ct.tcpEstablishedTimeout()),
        "udpStreamTimeout", GoDuration.format(ct.udpStreamTimeout()),
        "udpTimeout", GoDuration.format(ct.udpTimeout())));
    m.put("detectLocal", map(
        "bridgeInterface", nullToEmpty(p.bridgeInterface()),
        "interfaceNamePrefix", nullToEmpty(p.interfaceNamePrefix())));
    m.put("detectLocalMode", detectLocalMode(p));
    m.put("featureGates", new LinkedHashMap<>(c.featureGates()));
    m.put("healthzBindAddress", c.healthzBindAddress() == null ? "" : c.healthzBindAddress().toString());
    m.put("hostnameOverride", p.nodeName());
    Map<String, Object> section = map(
        "masqueradeAll", p.masqueradeAll(), "masqueradeBit", p.masqueradeBit(),
        "minSyncPeriod", GoDuration.format(c.minSyncPeriod()),
        "syncPeriod", GoDuration.format(c.syncPeriod()));
    if (c.mode() == ProxyMode.IPVS) {
      IpvsConfig ipvs = c.modeOptions().ipvs();
      section.put("scheduler", ipvs.scheduler());
      section.put("excludeCIDRs", ipvs.excludeCidrs().isEmpty()
          ? null : ipvs.excludeCidrs().stream().map(Cidr::toString).toList());
      section.put("strictARP", ipvs.strictArp());
      section.put("tcpTimeout", GoDuration.format(ipvs.tcpTimeout()));
      section.put("tcpFinTimeout", GoDuration.format(ipvs.tcpFinTimeout()));
      section.put("udpTimeout", GoDuration.format(ipvs.udpTimeout()));
    } else if (c.mode() != ProxyMode.NFTABLES) {
      section.put("localhostNodePorts", c.modeOptions().localhostNodePorts());
    }
    m.put(c.mode() == ProxyMode.NFTABLES ? "nftables" : c.mode() == ProxyMode.IPVS ? "ipvs" : "iptables", section);
    m.put("logging", map("format", c.logging().format(), "verbosity", c.logging().verbosity()));
    m.put("metricsBindAddress", c.metricsBindAddress() == null ? "" : c.metricsBindAddress().toString());
    m.put("mode", c.mode().flagValue());
    List<String> nodePorts = p.nodePortAddresses().toStrings();
    m.put("nodePortAddresses", nodePorts.isEmpty() ? null : nodePorts);
    m.put("oomScoreAdj", c.nodeSetup().oomScoreAdj());
    return m;
  }

  /** The configuration as YAML, block style, as upstream writes it. */
  public static String toYaml(EffectiveConfig c) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    return new Yaml(options).dump(toMap(c));
  }

  private static String detectLocalMode(ProxyConfig p) {
    return switch (p.detectLocalMode()) {
      case NODE_CIDR -> "NodeCIDR";
      case BRIDGE_INTERFACE -> "BridgeInterface";
      case INTERFACE_NAME_PREFIX -> "InterfaceNamePrefix";
      default -> "ClusterCIDR";
    };
  }

  private static Map<String, Object> map(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
