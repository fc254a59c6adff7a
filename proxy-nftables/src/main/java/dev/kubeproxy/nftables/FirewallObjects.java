package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.ServiceEntry;

/**
 * A service port's loadBalancerSourceRanges: its LB frontends in {@code firewall-ips} and each
 * allowed source in {@code firewall-allow}. NodePorts and ExternalIPs are not firewalled.
 */
final class FirewallObjects {
  private FirewallObjects() {}

  static void addTo(ServiceEntry entry, EntryObjects.Builder out) {
    if (!entry.hasFirewall()) {
      return;
    }
    for (Frontend f : entry.frontends()) {
      if (f.kind() != FrontendKind.LOAD_BALANCER) {
        continue;
      }
      ImmutableList<String> key = DispatchObjects.frontendKey(f);
      out.element(NftSkeleton.FIREWALL_IPS, new NftElement(key, null, entry.key().toString()));
      for (Cidr source : Cidrs.withoutContained(entry.firewallSources())) {
        if (source.family() == entry.family()) {
          out.element(NftSkeleton.FIREWALL_ALLOW, new NftElement(
              ImmutableList.<String>builder().addAll(key).add(source.toString()).build(),
              null, null));
        }
      }
    }
  }
}
