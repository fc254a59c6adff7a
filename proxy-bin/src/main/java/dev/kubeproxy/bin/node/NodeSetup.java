package dev.kubeproxy.bin.node;

import dev.kubeproxy.bin.config.ConntrackSettings;
import dev.kubeproxy.bin.config.NodeSetupSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What upstream kube-proxy changes on its node before syncing ({@code server_linux.go},
 * {@code conntrack.go}): this process's {@code oom_score_adj} (a failure is logged), the
 * conntrack table size and hash size, and the conntrack TCP/UDP timeouts and TCP liberal mode
 * (a failure stops the start, as upstream). A read-only {@code /sys}, which keeps the hash size
 * from growing, is a warning, not a failure. A sysctl already at the wanted value is not written.
 */
public final class NodeSetup {
  private static final Logger log = LoggerFactory.getLogger(NodeSetup.class);
  static final String NETFILTER = "/proc/sys/net/netfilter/";
  static final String HASHSIZE = "/sys/module/nf_conntrack/parameters/hashsize";
  static final String OOM_SCORE_ADJ = "/proc/self/oom_score_adj";
  /** The warning upstream raises (as a Node event) when {@code /sys} is read-only. */
  public static final String READ_ONLY_SYS =
      "/sys is read-only: cannot modify conntrack limits, problems may arise later"
          + " (If running Docker, see docker issue #24000)";

  private final NodeFiles files;
  private final List<String> warnings = new ArrayList<>();

  public NodeSetup(NodeFiles files) {
    this.files = files;
  }

  /**
   * Applies {@code settings}; returns the warnings (also logged). Throws {@link IOException}
   * naming the sysctl when a conntrack setting cannot be written.
   */
  public List<String> apply(NodeSetupSettings settings) throws IOException {
    applyOomScoreAdj(settings.oomScoreAdj());
    applyConntrack(settings.conntrack());
    return List.copyOf(warnings);
  }

  private void applyOomScoreAdj(int value) {
    try {
      files.write(OOM_SCORE_ADJ, Integer.toString(value));
      log.info("oom_score_adj set to {}", value);
    } catch (IOException e) {
      warn("Failed to apply oom_score_adj " + value + ": " + e.getMessage());
    }
  }

  private void applyConntrack(ConntrackSettings c) throws IOException {
    int max = c.max(files.cpus());
    if (max > 0) {
      setMax(max);
    }
    setSeconds("nf_conntrack_tcp_timeout_established", c.tcpEstablishedTimeout());
    setSeconds("nf_conntrack_tcp_timeout_close_wait", c.tcpCloseWaitTimeout());
    if (c.tcpBeLiberal()) {
      setSysctl("nf_conntrack_tcp_be_liberal", 1);
    }
    setSeconds("nf_conntrack_udp_timeout", c.udpTimeout());
    setSeconds("nf_conntrack_udp_timeout_stream", c.udpStreamTimeout());
  }

  /** As upstream: the table size, then a hash size of a quarter of it when smaller and /sys allows. */
  private void setMax(int max) throws IOException {
    setSysctl("nf_conntrack_max", max);
    if (!files.initialNetworkNamespace()) {
      log.info("not in the initial network namespace: conntrack hashsize left as it is");
      return;
    }
    int hashsize = Integer.parseInt(files.read(HASHSIZE));
    if (hashsize >= max / 4) {
      return;
    }
    if (!files.sysWritable()) {
      warn(READ_ONLY_SYS);
      return;
    }
    log.info("setting conntrack hashsize to {}", max / 4);
    files.write(HASHSIZE, Integer.toString(max / 4));
  }

  private void setSeconds(String name, Duration timeout) throws IOException {
    if (timeout.getSeconds() > 0) {
      setSysctl(name, (int) Math.min(Integer.MAX_VALUE, timeout.getSeconds()));
    }
  }

  private void setSysctl(String name, int value) throws IOException {
    String path = NETFILTER + name;
    String current;
    try {
      current = files.read(path);
    } catch (IOException e) {
      current = null;
    }
    if (Integer.toString(value).equals(current)) {
      return;
    }
    log.info("setting sysctl net/netfilter/{} to {}", name, value);
    try {
      files.write(path, Integer.toString(value));
    } catch (IOException e) {
      throw new IOException("cannot set sysctl net/netfilter/" + name + " to " + value + ": " + e.getMessage(), e);
    }
  }

  private void warn(String message) {
    log.warn(message);
    warnings.add(message);
  }
}
