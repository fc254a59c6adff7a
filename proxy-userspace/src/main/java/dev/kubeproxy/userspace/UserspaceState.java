package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.ServicePortKey;
import java.util.Objects;

/**
 * What the userspace backend committed for one family: per service port its listeners (each
 * with the endpoints and affinity it was given) and its redirects; and the node address the
 * redirects point at (null when embedded or when the node has no address of the family) and the
 * NodePort CIDRs the rules were written for.
 */
public record UserspaceState(
    ImmutableMap<ServicePortKey, Programmed> keys, IpAddress redirectTarget, ImmutableList<Cidr> nodePortCidrs) {
  public UserspaceState {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(nodePortCidrs, "nodePortCidrs");
  }

  /** One service port's listeners (by spec, as last opened or retargeted) and redirects. */
  public record Programmed(ImmutableMap<ListenerSpec, ListenerOp> listeners, ImmutableSet<RuleElement> redirects) {
    public Programmed {
      Objects.requireNonNull(listeners, "listeners");
      Objects.requireNonNull(redirects, "redirects");
    }
  }
}
