package dev.kubeproxy.ipvs;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import java.util.List;

/**
 * The kernel names the IPVS mode uses, upstream's wherever upstream has one: the dummy device, the
 * ipsets (IPv6 ones renamed {@code KUBE-} to {@code KUBE-6-} and cut at 31 characters, as upstream
 * does) and the iptables glue chains. Three sets are ours, beyond upstream: the service addresses
 * that reject or drop new connections because they have no usable endpoint.
 */
public final class IpvsNames {
  /** The dummy interface every service address is bound to. */
  public static final String DUMMY_DEVICE = "kube-ipvs0";

  public static final String LOOP_BACK = "KUBE-LOOP-BACK";
  public static final String CLUSTER_IP = "KUBE-CLUSTER-IP";
  public static final String EXTERNAL_IP = "KUBE-EXTERNAL-IP";
  public static final String EXTERNAL_IP_LOCAL = "KUBE-EXTERNAL-IP-LOCAL";
  public static final String LOAD_BALANCER = "KUBE-LOAD-BALANCER";
  public static final String LOAD_BALANCER_LOCAL = "KUBE-LOAD-BALANCER-LOCAL";
  public static final String LOAD_BALANCER_FW = "KUBE-LOAD-BALANCER-FW";
  public static final String LOAD_BALANCER_SOURCE_IP = "KUBE-LOAD-BALANCER-SOURCE-IP";
  public static final String LOAD_BALANCER_SOURCE_CIDR = "KUBE-LOAD-BALANCER-SOURCE-CIDR";
  public static final String NODE_PORT_TCP = "KUBE-NODE-PORT-TCP";
  public static final String NODE_PORT_LOCAL_TCP = "KUBE-NODE-PORT-LOCAL-TCP";
  public static final String NODE_PORT_UDP = "KUBE-NODE-PORT-UDP";
  public static final String NODE_PORT_LOCAL_UDP = "KUBE-NODE-PORT-LOCAL-UDP";
  public static final String NODE_PORT_SCTP = "KUBE-NODE-PORT-SCTP-HASH";
  public static final String NODE_PORT_LOCAL_SCTP = "KUBE-NODE-PORT-LOCAL-SCTP-HASH";
  public static final String HEALTH_CHECK_NODE_PORT = "KUBE-HEALTH-CHECK-NODE-PORT";
  public static final String IPVS_IPS = "KUBE-IPVS-IPS";

  /** Ours: service address:ports with no endpoint anywhere (REJECT new connections). */
  public static final String NO_ENDPOINTS = "KUBE-NO-ENDPOINTS";

  /** Ours: internal-traffic Local with no local endpoint (DROP new connections). */
  public static final String NO_LOCAL_ENDPOINTS = "KUBE-NO-LOCAL-ENDPOINTS";

  /** Ours: external-traffic Local with no local endpoint (DROP, but pods and the node pass). */
  public static final String NO_LOCAL_ENDPOINTS_EXTERNAL = "KUBE-NO-LOCAL-ENDPOINTS-EXT";

  // nat table
  public static final String SERVICES = "KUBE-SERVICES";
  public static final String POSTROUTING = "KUBE-POSTROUTING";
  public static final String MARK_MASQ = "KUBE-MARK-MASQ";
  public static final String NODE_PORT = "KUBE-NODE-PORT";
  public static final String LOAD_BALANCER_CHAIN = "KUBE-LOAD-BALANCER";
  // filter table (and KUBE-NODE-PORT again)
  public static final String FORWARD = "KUBE-FORWARD";
  public static final String PROXY_FIREWALL = "KUBE-PROXY-FIREWALL";
  public static final String SOURCE_RANGES_FIREWALL = "KUBE-SOURCE-RANGES-FIREWALL";
  public static final String IPVS_FILTER = "KUBE-IPVS-FILTER";
  public static final String IPVS_OUT_FILTER = "KUBE-IPVS-OUT-FILTER";

  /** The glue chains of the nat table, in the order they are declared. */
  public static final ImmutableList<String> NAT_CHAINS =
      ImmutableList.of(SERVICES, POSTROUTING, NODE_PORT, LOAD_BALANCER_CHAIN, MARK_MASQ);

  /** The glue chains of the filter table, in the order they are declared. */
  public static final ImmutableList<String> FILTER_CHAINS =
      ImmutableList.of(
          FORWARD, NODE_PORT, PROXY_FIREWALL, SOURCE_RANGES_FIREWALL, IPVS_FILTER, IPVS_OUT_FILTER);

  private static final List<String[]> SETS =
      List.of(
          new String[] {
            LOOP_BACK,
            "hash:ip,port,ip",
            "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"
          },
          new String[] {
            CLUSTER_IP,
            "hash:ip,port",
            "Kubernetes service cluster ip + port for masquerade purpose"
          },
          new String[] {
            EXTERNAL_IP,
            "hash:ip,port",
            "Kubernetes service external ip + port for masquerade and filter purpose"
          },
          new String[] {
            EXTERNAL_IP_LOCAL,
            "hash:ip,port",
            "Kubernetes service external ip + port with externalTrafficPolicy=local"
          },
          new String[] {LOAD_BALANCER, "hash:ip,port", "Kubernetes service lb portal"},
          new String[] {
            LOAD_BALANCER_FW,
            "hash:ip,port",
            "Kubernetes service load balancer ip + port for load balancer with sourceRange"
          },
          new String[] {
            LOAD_BALANCER_LOCAL,
            "hash:ip,port",
            "Kubernetes service load balancer ip + port with externalTrafficPolicy=local"
          },
          new String[] {
            LOAD_BALANCER_SOURCE_IP,
            "hash:ip,port,ip",
            "Kubernetes service load balancer ip + port + source IP for packet filter purpose"
          },
          new String[] {
            LOAD_BALANCER_SOURCE_CIDR,
            "hash:ip,port,net",
            "Kubernetes service load balancer ip + port + source cidr for packet filter purpose"
          },
          new String[] {
            NODE_PORT_TCP, "bitmap:port", "Kubernetes nodeport TCP port for masquerade purpose"
          },
          new String[] {
            NODE_PORT_LOCAL_TCP,
            "bitmap:port",
            "Kubernetes nodeport TCP port with externalTrafficPolicy=local"
          },
          new String[] {
            NODE_PORT_UDP, "bitmap:port", "Kubernetes nodeport UDP port for masquerade purpose"
          },
          new String[] {
            NODE_PORT_LOCAL_UDP,
            "bitmap:port",
            "Kubernetes nodeport UDP port with externalTrafficPolicy=local"
          },
          new String[] {
            NODE_PORT_SCTP,
            "hash:ip,port",
            "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'"
          },
          new String[] {
            NODE_PORT_LOCAL_SCTP,
            "hash:ip,port",
            "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash"
                + " ip:port'"
          },
          new String[] {HEALTH_CHECK_NODE_PORT, "bitmap:port", "Kubernetes health check node port"},
          new String[] {IPVS_IPS, "hash:ip", "Addresses on the ipvs interface"},
          new String[] {
            NO_ENDPOINTS, "hash:ip,port", "Service ip + port without endpoints (reject)"
          },
          new String[] {
            NO_LOCAL_ENDPOINTS,
            "hash:ip,port",
            "Service ip + port with internalTrafficPolicy=Local and no local endpoint (drop)"
          },
          new String[] {
            NO_LOCAL_ENDPOINTS_EXTERNAL,
            "hash:ip,port",
            "Service ip + port with externalTrafficPolicy=Local and no local endpoint (drop)"
          });

  private IpvsNames() {}

  /** The name of upstream set {@code base} in {@code family}. */
  public static String set(String base, IpFamily family) {
    if (family == IpFamily.V4) {
      return base;
    }
    String name = "KUBE-6-" + base.substring("KUBE-".length());
    return name.length() > IpsetDef.MAX_NAME ? name.substring(0, IpsetDef.MAX_NAME) : name;
  }

  /** Every set of {@code family}, in the order they are created. */
  public static ImmutableList<IpsetDef> sets(IpFamily family) {
    ImmutableList.Builder<IpsetDef> out = ImmutableList.builder();
    for (String[] s : SETS) {
      out.add(new IpsetDef(set(s[0], family), s[1], family, s[2]));
    }
    return out.build();
  }

  /** The definition of set {@code base} in {@code family}. */
  public static IpsetDef def(String base, IpFamily family) {
    String name = set(base, family);
    for (IpsetDef d : sets(family)) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException("no set " + base);
  }

  /** The NodePort set for {@code protocol} (TCP/UDP bitmaps, SCTP by address). */
  static String nodePortSet(Protocol protocol, boolean local) {
    return switch (protocol) {
      case TCP -> local ? NODE_PORT_LOCAL_TCP : NODE_PORT_TCP;
      case UDP -> local ? NODE_PORT_LOCAL_UDP : NODE_PORT_UDP;
      case SCTP -> local ? NODE_PORT_LOCAL_SCTP : NODE_PORT_SCTP;
    };
  }

  /** {@code iptables} or {@code ip6tables}. */
  static String iptables(IpFamily family) {
    return family == IpFamily.V4 ? "iptables" : "ip6tables";
  }
}
