package dev.kubeproxy.api;

/** An IP family; the proxy builds one forwarding table per family. */
public enum IpFamily {
  V4,
  V6;

  /** The Kubernetes spelling, as in {@code spec.ipFamilies}: {@code IPv4} or {@code IPv6}. */
  public String kubernetesName() {
    return this == V4 ? "IPv4" : "IPv6";
  }

  /** The nftables table family: {@code ip} or {@code ip6}. */
  public String nftFamily() {
    return this == V4 ? "ip" : "ip6";
  }

  /** Parses {@code IPv4}/{@code IPv6}; returns null for anything else (e.g. FQDN slices). */
  public static IpFamily fromKubernetesName(String name) {
    if ("IPv4".equals(name)) {
      return V4;
    }
    if ("IPv6".equals(name)) {
      return V6;
    }
    return null;
  }
}
