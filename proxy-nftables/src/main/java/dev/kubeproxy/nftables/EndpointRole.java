package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;

/** Which of a service port's endpoint lists some traffic uses; names its affinity chain. */
enum EndpointRole {
  /** ClusterIP traffic: {@link ServiceEntry#internal()}. */
  INTERNAL("service-"),
  /** NodePort, ExternalIP and LB traffic: {@link ServiceEntry#external()}. */
  EXTERNAL("external-"),
  /** Pod and host traffic short-circuited under externalTrafficPolicy Local: the cluster list. */
  CLUSTER("cluster-");

  private final String chainPrefix;

  EndpointRole(String chainPrefix) {
    this.chainPrefix = chainPrefix;
  }

  ImmutableList<ServiceEndpoint> endpoints(ServiceEntry entry) {
    return switch (this) {
      case INTERNAL -> entry.internal().endpoints();
      case EXTERNAL -> entry.external().endpoints();
      case CLUSTER -> entry.cluster();
    };
  }

  /** The affinity chain of this list, e.g. {@code service-ULMVA6XW-ns1/svc1/tcp/p80}. */
  String chain(ServiceEntry entry) {
    return NftNames.serviceChain(chainPrefix, entry.key());
  }
}
