package dev.kubeproxy.bin.config;

import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.backend.BackendProvider;
import dev.kubeproxy.iptables.IptablesProvider;
import dev.kubeproxy.ipvs.IpvsProvider;
import dev.kubeproxy.nftables.NftablesProvider;
import dev.kubeproxy.userspace.UserspaceProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The proxy modes built into this binary, by name. Adding a backend is its module plus one line
 * here.
 */
public final class BackendRegistry {
  private static final ImmutableMap<String, BackendProvider> PROVIDERS = index(List.of(
      new NftablesProvider(),
      new IptablesProvider(),
      new IpvsProvider(),
      new UserspaceProvider()));

  private BackendRegistry() {}

  /** The provider of {@code mode} with upstream's defaults, or empty when this build lacks it. */
  public static Optional<BackendProvider> provider(ProxyMode mode) {
    return Optional.ofNullable(PROVIDERS.get(mode.flagValue()));
  }

  /**
   * The provider of {@code mode} configured with {@code options} (the settings only that mode
   * reads), or empty when this build lacks it.
   */
  public static Optional<BackendProvider> provider(ProxyMode mode, ModeOptions options) {
    return provider(mode).map(
        p -> switch (mode) {
          case IPTABLES -> new IptablesProvider(options.localhostNodePorts());
          case IPVS -> new IpvsProvider(options.ipvs(), Path.of("/proc"));
          default -> p;
        });
  }

  /** Every built mode's provider but {@code mode}'s, in registration order. */
  public static List<BackendProvider> others(ProxyMode mode) {
    return PROVIDERS.values().stream().filter(p -> !p.mode().equals(mode.flagValue())).toList();
  }

  /**
   * The built modes whose leftovers a start in {@code mode} removes, as upstream's
   * {@code platformCleanup}: nftables removes the iptables-based modes' (iptables, ipvs); those
   * remove nftables'; other modes remove nothing.
   */
  public static List<BackendProvider> leftoversToRemove(ProxyMode mode) {
    List<ProxyMode> targets =
        switch (mode) {
          case NFTABLES -> List.of(ProxyMode.IPTABLES, ProxyMode.IPVS);
          case IPTABLES, IPVS -> List.of(ProxyMode.NFTABLES);
          default -> List.of();
        };
    return targets.stream().map(BackendRegistry::provider).flatMap(Optional::stream).toList();
  }

  /** The names of the built modes, e.g. {@code nftables}, in registration order. */
  public static String builtModes() {
    return String.join(", ", PROVIDERS.keySet());
  }

  private static ImmutableMap<String, BackendProvider> index(List<BackendProvider> providers) {
    ImmutableMap.Builder<String, BackendProvider> byMode = ImmutableMap.builder();
    for (BackendProvider provider : providers) {
      byMode.put(provider.mode(), provider);
    }
    return byMode.buildOrThrow();
  }
}
