package dev.kubeproxy.iptables;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.IpFamily;

/**
 * The restore and save programs per family, so a node can be driven through {@code
 * iptables-legacy-*} or {@code iptables-nft-*} explicitly, or through the distribution's choice.
 */
public record IptBinaries(String restore4, String save4, String iptables4, String restore6,
    String save6, String iptables6) {
  public IptBinaries {
    for (String name : new String[] {restore4, save4, iptables4, restore6, save6, iptables6}) {
      checkArgument(name != null && name.matches("[A-Za-z0-9._/-]+"), "bad program name %s", name);
    }
  }

  /** {@code iptables-restore} and friends, whatever the distribution links them to. */
  public static IptBinaries system() {
    return variant("");
  }

  /** The legacy (x_tables) programs. */
  public static IptBinaries legacy() {
    return variant("-legacy");
  }

  /** The nf_tables-backed programs. */
  public static IptBinaries nft() {
    return variant("-nft");
  }

  private static IptBinaries variant(String suffix) {
    return new IptBinaries("iptables" + suffix + "-restore", "iptables" + suffix + "-save",
        "iptables" + suffix, "ip6tables" + suffix + "-restore", "ip6tables" + suffix + "-save",
        "ip6tables" + suffix);
  }

  public String restore(IpFamily family) {
    return family == IpFamily.V4 ? restore4 : restore6;
  }

  public String save(IpFamily family) {
    return family == IpFamily.V4 ? save4 : save6;
  }

  public String iptables(IpFamily family) {
    return family == IpFamily.V4 ? iptables4 : iptables6;
  }
}
