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
                  + " endpoint; the proxy's own session keeps its endpoint until it idles out");

  private UserspaceExclusions() {}
}
