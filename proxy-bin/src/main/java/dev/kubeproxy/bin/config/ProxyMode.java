package dev.kubeproxy.bin.config;

import java.util.Locale;

/**
 * The proxy modes a flag or config file may name: upstream's three and the userspace mode.
 * Which of them this build has is {@link BackendRegistry}'s business.
 */
public enum ProxyMode {
  NFTABLES,
  IPTABLES,
  IPVS,
  USERSPACE;

  /** The spelling of flags and the config file: {@code nftables}. */
  public String flagValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether this build has the mode's backend. */
  public boolean built() {
    return BackendRegistry.provider(this).isPresent();
  }

  /** Parses a mode name (any case); throws {@link IllegalArgumentException} for others. */
  public static ProxyMode parse(String value) {
    for (ProxyMode mode : values()) {
      if (mode.flagValue().equalsIgnoreCase(value)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "unknown mode '" + value + "' (want nftables, iptables, ipvs or userspace)");
  }
}
