package dev.kubeproxy.bin.cli;

import picocli.CommandLine.Option;

/**
 * Upstream kube-proxy's flags beyond the ones that describe the node ({@link NodeOptions}) and
 * the servers ({@link KubeProxyCommand}), so that an existing DaemonSet's arguments parse. Their
 * values are read from the parse result by name ({@link ParsedFlags}); those this proxy does not
 * act on are accepted with one warning naming them.
 */
final class UpstreamOptions {
  @Option(names = "--write-config-to", paramLabel = "FILE", description = "Write the effective configuration as a KubeProxyConfiguration file, then exit.")
  String writeConfigTo;

  @Option(names = "--init-only", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Do the node setup that needs full root (sysctls, oom_score_adj), then exit.")
  Boolean initOnly;

  @Option(names = "--feature-gates", paramLabel = "NAME=BOOL[,...]", description = "Kubernetes feature gates; an unknown name is an error. PreferSameTrafficDistribution is acted on.")
  String featureGates;

  @Option(names = "--bind-address-hard-fail", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Exit when the healthz or metrics server cannot bind (default: log and go on).")
  Boolean bindAddressHardFail;

  @Option(names = "--healthz-port", paramLabel = "PORT", description = "Deprecated upstream: the health server's port; 0 disables it.")
  String healthzPort;

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Deprecated upstream: the metrics server's port; 0 disables it.")
  String metricsPort;

  @Option(names = "--iptables-masquerade-bit", paramLabel = "BIT", description = "The fwmark bit (0..31) of packets to masquerade, in iptables mode (default 14).")
  String iptablesMasqueradeBit;

  @Option(names = "--iptables-sync-period", paramLabel = "DURATION", description = "Longest time between syncs, in every mode but ipvs (default 30s).")
  String iptablesSyncPeriod;

  @Option(names = "--iptables-min-sync-period", paramLabel = "DURATION", description = "Shortest time between syncs, in every mode but ipvs (default 1s).")
  String iptablesMinSyncPeriod;

  @Option(names = "--iptables-localhost-nodeports", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "iptables mode: whether NodePorts answer on 127.0.0.1 (default true, as upstream).")
  Boolean iptablesLocalhostNodePorts;

  @Option(names = "--ipvs-sync-period", paramLabel = "DURATION", description = "Longest time between syncs in ipvs mode.")
  String ipvsSyncPeriod;

  @Option(names = "--ipvs-min-sync-period", paramLabel = "DURATION", description = "Shortest time between syncs in ipvs mode.")
  String ipvsMinSyncPeriod;

  @Option(names = "--ipvs-scheduler", paramLabel = "NAME", description = "ipvs mode: the scheduler of every virtual service (default rr).")
  String ipvsScheduler;

  @Option(names = "--ipvs-exclude-cidrs", paramLabel = "CIDR[,CIDR]", description = "ipvs mode: virtual services in these CIDRs belong to someone else and are left alone.")
  String ipvsExcludeCidrs;

  @Option(names = "--ipvs-strict-arp", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "ipvs mode: set arp_ignore 1 and arp_announce 2 (default false).")
  Boolean ipvsStrictArp;

  @Option(names = "--ipvs-tcp-timeout", paramLabel = "DURATION", description = "ipvs mode: idle timeout of IPVS TCP connections (0: the kernel's).")
  String ipvsTcpTimeout;

  @Option(names = "--ipvs-tcpfin-timeout", paramLabel = "DURATION", description = "ipvs mode: timeout of IPVS TCP connections after FIN (0: the kernel's).")
  String ipvsTcpFinTimeout;

  @Option(names = "--ipvs-udp-timeout", paramLabel = "DURATION", description = "ipvs mode: timeout of IPVS UDP flows (0: the kernel's).")
  String ipvsUdpTimeout;

  @Option(names = "--oom-score-adj", paramLabel = "N", description = "This process's oom_score_adj, -1000..1000 (default -999).")
  String oomScoreAdj;

  @Option(names = "--conntrack-max-per-core", paramLabel = "N", description = "nf_conntrack_max per CPU (default 32768; 0 leaves the limit as it is and ignores --conntrack-min).")
  String conntrackMaxPerCore;

  @Option(names = "--conntrack-min", paramLabel = "N", description = "The least nf_conntrack_max, whatever the CPUs (default 131072).")
  String conntrackMin;

  @Option(names = "--conntrack-tcp-timeout-established", paramLabel = "DURATION", description = "Idle timeout of established TCP flows (default 24h; 0 leaves it as it is).")
  String conntrackTcpTimeoutEstablished;

  @Option(names = "--conntrack-tcp-timeout-close-wait", paramLabel = "DURATION", description = "Timeout of TCP flows in CLOSE_WAIT (default 1h; 0 leaves it as it is).")
  String conntrackTcpTimeoutCloseWait;

  @Option(names = "--conntrack-tcp-be-liberal", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Set nf_conntrack_tcp_be_liberal to 1.")
  Boolean conntrackTcpBeLiberal;

  @Option(names = "--conntrack-udp-timeout", paramLabel = "DURATION", description = "Idle timeout of unreplied UDP flows (0, the default, leaves it as it is).")
  String conntrackUdpTimeout;

  @Option(names = "--conntrack-udp-timeout-stream", paramLabel = "DURATION", description = "Idle timeout of assured UDP flows (0, the default, leaves it as it is).")
  String conntrackUdpTimeoutStream;

  @Option(names = "--config-sync-period", paramLabel = "DURATION", description = "Accepted and ignored: informers here do not resync.")
  String configSyncPeriod;

  @Option(names = "--kube-api-content-type", paramLabel = "TYPE", description = "Accepted and ignored: the client speaks JSON.")
  String kubeApiContentType;

  @Option(names = "--kube-api-qps", paramLabel = "QPS", description = "Accepted and ignored.")
  String kubeApiQps;

  @Option(names = "--kube-api-burst", paramLabel = "N", description = "Accepted and ignored.")
  String kubeApiBurst;

  @Option(names = "--profiling", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Accepted and ignored: no /debug/pprof in a JVM.")
  Boolean profiling;

  @Option(names = "--show-hidden-metrics-for-version", paramLabel = "VERSION", description = "Accepted and ignored: no metric is hidden.")
  String showHiddenMetricsForVersion;

  @Option(names = {"-v", "--v"}, paramLabel = "LEVEL", description = "klog verbosity: 0-1 info, 2-4 debug, 5 and up trace.")
  String verbosity;

  @Option(names = "--logging-format", paramLabel = "text|json", description = "Log lines as klog-like text (default) or JSON.")
  String loggingFormat;

  @Option(names = "--vmodule", paramLabel = "PATTERN=N[,...]", description = "Accepted and ignored.")
  String vmodule;

  @Option(names = "--log-flush-frequency", paramLabel = "DURATION", description = "Accepted and ignored: lines are written at once.")
  String logFlushFrequency;

  @Option(names = "--log-json-info-buffer-size", paramLabel = "SIZE", description = "Accepted and ignored.")
  String logJsonInfoBufferSize;

  @Option(names = "--log-json-split-stream", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Accepted and ignored.")
  Boolean logJsonSplitStream;

  @Option(names = "--log-text-info-buffer-size", paramLabel = "SIZE", description = "Accepted and ignored.")
  String logTextInfoBufferSize;

  @Option(names = "--log-text-split-stream", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Accepted and ignored.")
  Boolean logTextSplitStream;
}
