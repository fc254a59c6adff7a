package dev.kubeproxy.api;

/** {@code externalTrafficPolicy} / {@code internalTrafficPolicy}. */
public enum TrafficPolicy {
  CLUSTER("Cluster"),
  LOCAL("Local");

  private final String kubernetesName;

  TrafficPolicy(String kubernetesName) {
    this.kubernetesName = kubernetesName;
  }

  public String kubernetesName() {
    return kubernetesName;
  }

  /** Parses the Kubernetes spelling; null/empty means Cluster (the API default). */
  public static TrafficPolicy parse(String value, String object, String field) {
    if (value == null || value.isEmpty()) {
      return CLUSTER;
    }
    for (TrafficPolicy policy : values()) {
      if (policy.kubernetesName.equals(value)) {
        return policy;
      }
    }
    throw new InvalidObjectException(object, field, "unknown traffic policy '" + value + "'");
  }
}
