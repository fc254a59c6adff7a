package dev.kubeproxy.bin.server;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test fixtures: service entries and tables built by hand. */
final class Tables {
  private Tables() {}

  static ServiceEndpoint ep(String ip, int port, boolean local, boolean terminating) {
    return new ServiceEndpoint(IpAddress.parse(ip), port, local, terminating);
  }

  /**
   * A LoadBalancer-like entry: {@code external} is the external list (local endpoints when
   * {@code externalLocal}), {@code cluster} the cluster-wide list; internal traffic uses the
   * cluster list unless {@code internalLocal}, when it uses the local endpoints of it.
   */
  static ServiceEntry entry(String ns, String name, String portName, IpFamily family,
      int healthCheckNodePort, boolean internalLocal, boolean externalLocal,
      List<ServiceEndpoint> external, List<ServiceEndpoint> cluster) {
    String vip = family == IpFamily.V4 ? "10.96.0.10" : "fd00::10";
    List<ServiceEndpoint> internal =
        internalLocal ? cluster.stream().filter(ServiceEndpoint::local).toList() : cluster;
    return ServiceEntry.builder(ServicePortKey.of(ns, name, portName, Protocol.TCP), family)
        .frontends(
            new Frontend(FrontendKind.CLUSTER_IP, IpAddress.parse(vip), 80, Protocol.TCP),
            Frontend.nodePort(30080, Protocol.TCP))
        .internal(new EndpointList(ImmutableList.copyOf(internal), EmptyVerdict.DROP))
        .external(new EndpointList(ImmutableList.copyOf(external), EmptyVerdict.DROP))
        .cluster(cluster)
        .internalPolicyLocal(internalLocal)
        .externalPolicyLocal(externalLocal)
        .healthCheckNodePort(healthCheckNodePort)
        .build();
  }

  /** Tables per family holding {@code entries}. */
  static Map<IpFamily, ForwardingTable> tables(ServiceEntry... entries) {
    Map<IpFamily, ForwardingTable> tables = new HashMap<>();
    for (ServiceEntry e : entries) {
      ForwardingTable t = tables.getOrDefault(e.family(), ForwardingTable.empty(e.family()));
      tables.put(e.family(), t.withEntries(Map.of(e.key(), e)));
    }
    return tables;
  }
}
