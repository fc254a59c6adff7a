package dev.kubeproxy.api;

import java.util.Locale;

/** A transport protocol a Service port can carry. */
public enum Protocol {
  TCP,
  UDP,
  SCTP;

  /** Lowercase name as used in nft rules, chain-name hashes and conntrack: {@code tcp}. */
  public String lowerName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses the Kubernetes spelling ({@code TCP}); null/empty means the API default TCP. */
  public static Protocol parse(String value, String object, String field) {
    if (value == null || value.isEmpty()) {
      return TCP;
    }
    try {
      return valueOf(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidObjectException(object, field, "unsupported protocol '" + value + "'");
    }
  }
}
