package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;

/**
 * Node mode: a service port gets an internal listener when it has a ClusterIP and an external
 * one when it has NodePort, ExternalIP or LoadBalancer frontends, both on the wildcard address
 * of its family. Their ports are left 0 here; the compiler assigns them from its port range,
 * because the redirect rules must name them before the listeners exist.
 */
public final class NodePlan implements ListenerPlan {
  public static final NodePlan INSTANCE = new NodePlan();

  private NodePlan() {}

  @Override
  public ImmutableSet<ListenerSpec> listenersFor(ServiceEntry entry) {
    if (entry.key().protocol() == Protocol.SCTP) {
      return ImmutableSet.of();
    }
    IpAddress any = IpAddress.parse(entry.family() == IpFamily.V4 ? "0.0.0.0" : "::");
    ImmutableSet.Builder<ListenerSpec> specs = ImmutableSet.builder();
    for (Frontend f : entry.frontends()) {
      specs.add(new ListenerSpec(entry.key(), trafficOf(f.kind()), any, 0));
    }
    return specs.build();
  }

  /** ClusterIP traffic is internal; NodePort, ExternalIP and LoadBalancer traffic external. */
  static Traffic trafficOf(FrontendKind kind) {
    return kind == FrontendKind.CLUSTER_IP ? Traffic.INTERNAL : Traffic.EXTERNAL;
  }
}
