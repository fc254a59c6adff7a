package dev.kubeproxy.userspace;

import dev.kubeproxy.model.conformance.Capability;
import dev.kubeproxy.model.conformance.Exclusions;

/** What userspace node mode cannot do, as named exclusions of the conformance suites. */
final class UserspaceExclusions {
  static final Exclusions NODE_MODE =
      Exclusions.of(Capability.SOURCE_PRESERVED,
          "the proxy opens its own connection to the endpoint, so every endpoint sees the node's"
              + " address (masquerade is implicit), also for pods and eTP=Local")
          .and(Capability.UDP_CONNTRACK_CLEANUP,
              "a UDP flow ends at the proxy's listener, so its conntrack entry never names an"
                  + " endpoint; the proxy's own session keeps its endpoint until it idles out")
          .and(Capability.DROP_FROM_NODE,
              "the node's own packets are redirected in output without the LoadBalancer source"
                  + " range check, so the node reaches an LB IP whatever loadBalancerSourceRanges"
                  + " say")
          .and(Capability.EXTERNAL_LOCAL_SHORT_CIRCUIT,
              "an external frontend has one listener serving the external (Local) list, so pods"
                  + " and the node reach only the local endpoints of an eTP=Local service")
          .and(Capability.UNALLOCATED_SERVICE_IP_DROP,
              "only upstream's nftables mode drops traffic to unallocated addresses inside a"
                  + " ServiceCIDR; userspace mode, like its other modes, routes it normally");

  private UserspaceExclusions() {}
}
