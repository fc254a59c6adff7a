package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LocalTrafficDetector.Mode;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.NodePortAddresses;
import dev.kubeproxy.api.Service;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Random valid Services, EndpointSlices, Nodes and configs drawn from small pools, so that
 * shared IPs, duplicate endpoints, conflicting frontends, hints and odd conditions are common.
 */
final class RandomCluster {
  static final int SERVICES = 8;
  private static final String[] PORT_NAMES = {"", "http", "dns", "metrics"};
  private static final String[] PROTOCOLS = {"TCP", "UDP", "SCTP"};
  private static final String[] NODES = {Fixtures.NODE, "node-b", null};

  private final Random random;

  RandomCluster(Random random) {
    this.random = random;
  }

  private boolean chance(double p) {
    return random.nextDouble() < p;
  }

  private <T> T pick(T[] values) {
    return values[random.nextInt(values.length)];
  }

  private Boolean maybeBool() {
    int r = random.nextInt(3);
    return r == 0 ? null : r == 1;
  }

  static String serviceName(int i) {
    return "s" + i;
  }

  Service service(int index) {
    Service.Builder b = Service.builder("ns", serviceName(index));
    String type = pick(new String[] {"ClusterIP", "ClusterIP", "NodePort", "LoadBalancer", "LoadBalancer", "ExternalName"});
    b.type(type);
    if (chance(0.05)) {
      b.clusterIp("None");
    } else {
      if (chance(0.9)) {
        b.clusterIp("10.0.0." + (1 + random.nextInt(10)));
      }
      if (chance(0.5)) {
        b.clusterIp("fd00::" + (1 + random.nextInt(10)));
      }
    }
    // Ports as the API server admits them: an unnamed one only alone, a nodePort only on
    // NodePort and LoadBalancer Services, at least one unless headless or ExternalName.
    Set<String> portProtocols = new HashSet<>();
    List<Object[]> ports = new ArrayList<>();
    boolean exposed = type.equals("NodePort") || type.equals("LoadBalancer");
    for (String name : PORT_NAMES) {
      if ((name.isEmpty() && chance(0.2)) || (!name.isEmpty() && chance(0.5))) {
        String protocol = pick(PROTOCOLS);
        int port = pick(new Integer[] {53, 80, 443});
        if (portProtocols.add(port + "/" + protocol)) {
          int nodePort = exposed && chance(0.5) ? 30000 + random.nextInt(4) : 0;
          ports.add(new Object[] {name, protocol, port, nodePort});
        }
      }
    }
    if (ports.size() > 1) {
      ports.removeIf(p -> ((String) p[0]).isEmpty());
    }
    if (ports.isEmpty()) {
      ports.add(new Object[] {"http", "TCP", 80, 0});
    }
    for (Object[] p : ports) {
      b.port((String) p[0], (String) p[1], (Integer) p[2], (Integer) p[3]);
    }
    for (String ip : new String[] {"1.1.1.1", "1.1.1.2", "fd00::99", "10.0.0.1"}) {
      if (chance(0.2)) {
        b.externalIp(ip);
      }
    }
    for (String ip : new String[] {"5.5.5.5", "5.5.5.6", "fd00::55", "1.1.1.1"}) {
      if (chance(0.25)) {
        b.loadBalancerIngress(ip, null, pick(new String[] {null, "VIP", "Proxy"}));
      }
    }
    if (chance(0.1)) {
      b.loadBalancerIngress(null, "lb.example.com", null);
    }
    for (String range : new String[] {"1.2.3.0/24", "192.168.0.0/16", "fd10::/64", "0.0.0.0/0"}) {
      if (chance(0.2)) {
        b.loadBalancerSourceRange(range);
      }
    }
    b.externalTrafficPolicy(pick(new String[] {null, "Cluster", "Local"}));
    b.internalTrafficPolicy(pick(new String[] {null, "Cluster", "Local"}));
    if (chance(0.3)) {
      b.sessionAffinity("ClientIP", chance(0.5) ? null : 1 + random.nextInt(1000));
    }
    if (chance(0.5)) {
      b.healthCheckNodePort(32000 + random.nextInt(3));
    }
    if (chance(0.05)) {
      b.label(chance(0.5) ? Service.LABEL_SERVICE_PROXY_NAME : Service.LABEL_HEADLESS, "x");
    }
    return b.build();
  }

  /** Slice {@code s<service>-<k>}, usually labelled for its service, sometimes for another or none. */
  EndpointSlice slice(int service, int k) {
    EndpointSlice.Builder b = EndpointSlice.builder("ns", serviceName(service) + "-" + k);
    if (chance(0.85)) {
      b.serviceName(serviceName(service));
    } else if (chance(0.5)) {
      b.serviceName(serviceName(random.nextInt(SERVICES)));
    }
    String type = chance(0.7) ? "IPv4" : chance(0.9) ? "IPv6" : "FQDN";
    b.addressType(type);
    for (String name : PORT_NAMES) {
      if (chance(0.6)) {
        b.port(name, pick(PROTOCOLS), 8080 + random.nextInt(2));
      }
    }
    int endpoints = random.nextInt(5);
    for (int i = 0; i < endpoints && !"FQDN".equals(type); i++) {
      String ip = "IPv4".equals(type) ? "10.1.0." + (1 + random.nextInt(6)) : "fd01::" + (1 + random.nextInt(4));
      b.endpoint(ip, maybeBool(), maybeBool(), maybeBool(), pick(NODES), null, hints(new String[] {"z1", "z2"}),
          hints(new String[] {Fixtures.NODE, "node-b"}));
    }
    return b.build();
  }

  private List<String> hints(String[] values) {
    if (chance(0.5)) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (String v : values) {
      if (chance(0.5)) {
        out.add(v);
      }
    }
    return out;
  }

  Node node() {
    ImmutableList.Builder<IpAddress> addresses = ImmutableList.builder();
    if (chance(0.8)) {
      addresses.add(IpAddress.parse(chance(0.5) ? "192.168.0.10" : "1.2.3.4"));
    }
    if (chance(0.5)) {
      addresses.add(IpAddress.parse("fd10::10"));
    }
    String zone = pick(new String[] {"z1", "z2", null});
    return new Node(
        Fixtures.NODE,
        addresses.build(),
        zone == null ? ImmutableMap.of() : ImmutableMap.of(Node.LABEL_ZONE, zone),
        ImmutableList.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("fd44::/64")));
  }

  ProxyConfig config() {
    NodePortAddresses nodePorts = pick(new NodePortAddresses[] {
        NodePortAddresses.ALL, NodePortAddresses.PRIMARY,
        NodePortAddresses.cidrs("192.168.0.0/16", "fd10::/64")});
    return ProxyConfig.builder(Fixtures.NODE)
        .families(IpFamily.V4, IpFamily.V6)
        .nodeIps(List.of(IpAddress.parse("172.16.0.1")))
        .clusterCidrs(List.of(Cidr.parse("10.244.0.0/16")))
        .detectLocal(pick(Mode.values()), "cbr0", "veth")
        .masqueradeAll(chance(0.5))
        .nodePortAddresses(nodePorts)
        .preferSameNodeHints(chance(0.5))
        .build();
  }
}
