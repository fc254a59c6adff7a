package dev.kubeproxy.bin.config;

import dev.kubeproxy.ipvs.IpvsConfig;
import java.util.Objects;

/**
 * The settings that only one backend reads: upstream's {@code iptables.localhostNodePorts}
 * (iptables mode) and the {@code ipvs.*} section (ipvs mode).
 */
public record ModeOptions(boolean localhostNodePorts, IpvsConfig ipvs) {
  /** Upstream's defaults: localhost NodePorts on, IPVS with scheduler rr and the kernel's timeouts. */
  public static final ModeOptions DEFAULTS = new ModeOptions(true, IpvsConfig.DEFAULT);

  public ModeOptions {
    Objects.requireNonNull(ipvs, "ipvs");
  }
}
