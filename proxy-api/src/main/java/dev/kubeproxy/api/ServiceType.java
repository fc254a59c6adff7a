package dev.kubeproxy.api;

/** {@code spec.type} of a Service. */
public enum ServiceType {
  CLUSTER_IP("ClusterIP"),
  NODE_PORT("NodePort"),
  LOAD_BALANCER("LoadBalancer"),
  EXTERNAL_NAME("ExternalName");

  private final String kubernetesName;

  ServiceType(String kubernetesName) {
    this.kubernetesName = kubernetesName;
  }

  public String kubernetesName() {
    return kubernetesName;
  }

  /** Parses the Kubernetes spelling; null/empty means the API default ClusterIP. */
  public static ServiceType parse(String value, String object, String field) {
    if (value == null || value.isEmpty()) {
      return CLUSTER_IP;
    }
    for (ServiceType type : values()) {
      if (type.kubernetesName.equals(value)) {
        return type;
      }
    }
    throw new InvalidObjectException(object, field, "unknown service type '" + value + "'");
  }
}
