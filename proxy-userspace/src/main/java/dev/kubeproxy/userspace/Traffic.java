package dev.kubeproxy.userspace;

import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ServiceEntry;

/** Which of a service entry's endpoint lists a listener serves. */
public enum Traffic {
  /** ClusterIP traffic: the entry's internal list. */
  INTERNAL,
  /** NodePort, ExternalIP and LoadBalancer traffic: the entry's external list. */
  EXTERNAL;

  EndpointList endpointsOf(ServiceEntry entry) {
    return this == INTERNAL ? entry.internal() : entry.external();
  }
}
