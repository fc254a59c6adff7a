package dev.kubeproxy.api;

/**
 * One {@code status.loadBalancer.ingress[]} entry. kube-proxy programs it only when it has an
 * {@code ip} and its {@code ipMode} is unset or {@code VIP}.
 */
public record LoadBalancerIngress(IpAddress ip, String hostname, String ipMode) {
  public static final String IP_MODE_VIP = "VIP";
  public static final String IP_MODE_PROXY = "Proxy";

  /** Whether kube-proxy handles traffic to this ingress point itself. */
  public boolean programmable() {
    return ip != null && (ipMode == null || ipMode.isEmpty() || IP_MODE_VIP.equals(ipMode));
  }
}
