package dev.kubeproxy.iptables;

import com.google.common.io.BaseEncoding;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Upstream's iptables chain names, so operators recognise what this backend writes: fixed
 * top-level chains, and per service port {@code KUBE-SVC-}/{@code KUBE-SVL-}/{@code
 * KUBE-EXT-}/{@code KUBE-FW-} plus the first 16 RFC 4648 base32 characters of the sha256 of
 * {@code ns/name:port} and the lowercase protocol ({@code KUBE-SEP-} also appends the endpoint
 * {@code ip:port}).
 */
public final class IptNames {
  public static final String SERVICES = "KUBE-SERVICES";
  public static final String EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES";
  public static final String NODEPORTS = "KUBE-NODEPORTS";
  public static final String POSTROUTING = "KUBE-POSTROUTING";
  public static final String MARK_MASQ = "KUBE-MARK-MASQ";
  public static final String FORWARD = "KUBE-FORWARD";
  public static final String PROXY_FIREWALL = "KUBE-PROXY-FIREWALL";
  /**
   * Ours, not upstream's: one REJECT per ClusterIP, reached last from filter KUBE-SERVICES, so a
   * known ClusterIP on a port no service has is refused at once (as upstream's nftables mode).
   */
  public static final String CLUSTER_IPS = "KUBE-CLUSTER-IPS";
  /** Empty chain in mangle, nat and filter whose disappearance means someone flushed the tables. */
  public static final String CANARY = "KUBE-PROXY-CANARY";

  /** Kubelet's firewall chain, which upstream also fills with the martian guard for localhost NodePorts. */
  public static final String KUBELET_FIREWALL = "KUBE-FIREWALL";

  public static final String SVC_PREFIX = "KUBE-SVC-";
  public static final String SVL_PREFIX = "KUBE-SVL-";
  public static final String EXT_PREFIX = "KUBE-EXT-";
  public static final String FW_PREFIX = "KUBE-FW-";
  public static final String SEP_PREFIX = "KUBE-SEP-";

  private static final String[] SERVICE_PREFIXES = {
    SVC_PREFIX, SVL_PREFIX, EXT_PREFIX, FW_PREFIX, SEP_PREFIX
  };

  private IptNames() {}

  /** The chain of a service port's Cluster-policy endpoints. */
  public static String svc(ServicePortKey key) {
    return SVC_PREFIX + hash(key.toString() + key.protocol().lowerName());
  }

  /** The chain of a service port's Local-policy endpoints. */
  public static String svl(ServicePortKey key) {
    return SVL_PREFIX + hash(key.toString() + key.protocol().lowerName());
  }

  /** The chain all external traffic of a service port goes through. */
  public static String ext(ServicePortKey key) {
    return EXT_PREFIX + hash(key.toString() + key.protocol().lowerName());
  }

  /** The loadBalancerSourceRanges chain of a service port. */
  public static String fw(ServicePortKey key) {
    return FW_PREFIX + hash(key.toString() + key.protocol().lowerName());
  }

  /** The DNAT chain of one endpoint of a service port. */
  public static String sep(ServicePortKey key, ServiceEndpoint endpoint) {
    return SEP_PREFIX + hash(key.toString() + key.protocol().lowerName() + endpoint);
  }

  /** Whether {@code chain} is a per-service chain (one this backend deletes when stale). */
  public static boolean isServiceChain(String chain) {
    for (String prefix : SERVICE_PREFIXES) {
      if (chain.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private static String hash(String input) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(input.getBytes(StandardCharsets.UTF_8));
      return BaseEncoding.base32().encode(digest).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JVM has SHA-256", e);
    }
  }
}
