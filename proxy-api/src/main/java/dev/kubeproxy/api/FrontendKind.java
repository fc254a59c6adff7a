package dev.kubeproxy.api;

/** How traffic reaches a service: its virtual address kinds. */
public enum FrontendKind {
  CLUSTER_IP,
  NODE_PORT,
  EXTERNAL_IP,
  LOAD_BALANCER;

  /** Whether this frontend carries "external" traffic (externalTrafficPolicy applies). */
  public boolean external() {
    return this != CLUSTER_IP;
  }
}
