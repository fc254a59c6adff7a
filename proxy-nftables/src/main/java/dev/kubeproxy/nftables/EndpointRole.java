package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;

/** Which of a service port's endpoint lists some traffic uses (each has its affinity slots). */
enum EndpointRole {
  /** ClusterIP traffic: {@link ServiceEntry#internal()}. */
  INTERNAL,
  /** NodePort, ExternalIP and LB traffic: {@link ServiceEntry#external()}. */
  EXTERNAL,
  /** Pod and host traffic short-circuited under externalTrafficPolicy Local: the cluster list. */
  CLUSTER;

  ImmutableList<ServiceEndpoint> endpoints(ServiceEntry entry) {
    return switch (this) {
      case INTERNAL -> entry.internal().endpoints();
      case EXTERNAL -> entry.external().endpoints();
      case CLUSTER -> entry.cluster();
    };
  }
}
