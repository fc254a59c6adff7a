package dev.kubeproxy.userspace;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEntry;
import java.util.List;

/**
 * Embedded, unprivileged listening: every TCP/UDP service port gets one listener on each bind
 * address of its IP family, carrying ClusterIP (internal) traffic, on an ephemeral port or, when
 * {@code servicePorts} is set, on the service's own port. No kernel rules are involved.
 */
public record EmbeddedPlan(ImmutableList<IpAddress> bindAddresses, boolean servicePorts)
    implements ListenerPlan {

  public EmbeddedPlan {
    Preconditions.checkArgument(!bindAddresses.isEmpty(), "at least one bind address");
    Preconditions.checkArgument(
        ImmutableSet.copyOf(bindAddresses).size() == bindAddresses.size(), "duplicate bind address");
  }

  /** Listens on {@code addresses} on ephemeral ports. */
  public static EmbeddedPlan ephemeral(List<IpAddress> addresses) {
    return new EmbeddedPlan(ImmutableList.copyOf(addresses), false);
  }

  /** Listens on {@code addresses} on each service's own port (ports below 1024 need privileges). */
  public static EmbeddedPlan onServicePorts(List<IpAddress> addresses) {
    return new EmbeddedPlan(ImmutableList.copyOf(addresses), true);
  }

  @Override
  public ImmutableSet<ListenerSpec> listenersFor(ServiceEntry entry) {
    if (entry.key().protocol() == Protocol.SCTP) {
      return ImmutableSet.of();
    }
    int port = servicePorts ? servicePort(entry) : 0;
    ImmutableSet.Builder<ListenerSpec> specs = ImmutableSet.builder();
    for (IpAddress address : bindAddresses) {
      if (address.family() == entry.family()) {
        specs.add(new ListenerSpec(entry.key(), Traffic.INTERNAL, address, port));
      }
    }
    return specs.build();
  }

  /** The ClusterIP frontend's port, else the first frontend's, else ephemeral. */
  private static int servicePort(ServiceEntry entry) {
    for (Frontend f : entry.frontends()) {
      if (f.kind() == FrontendKind.CLUSTER_IP) {
        return f.port();
      }
    }
    return entry.frontends().isEmpty() ? 0 : entry.frontends().get(0).port();
  }
}
