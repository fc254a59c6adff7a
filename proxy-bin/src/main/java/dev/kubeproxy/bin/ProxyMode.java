package dev.kubeproxy.bin;

import java.util.Locale;

/** Upstream's proxy modes; only those marked {@link #built()} are in this build. */
public enum ProxyMode {
  NFTABLES(true),
  IPTABLES(false),
  IPVS(false);

  private final boolean built;

  ProxyMode(boolean built) {
    this.built = built;
  }

  /** Whether this build has the mode's backend. */
  public boolean built() {
    return built;
  }

  /** The spelling of flags and the config file: {@code nftables}. */
  public String flagValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a mode name (any case); throws {@link IllegalArgumentException} for others. */
  public static ProxyMode parse(String value) {
    for (ProxyMode mode : values()) {
      if (mode.flagValue().equalsIgnoreCase(value)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("unknown mode '" + value + "' (want nftables, iptables or ipvs)");
  }
}
