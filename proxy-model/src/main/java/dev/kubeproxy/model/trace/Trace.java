package dev.kubeproxy.model.trace;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.LocalTrafficDetector;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.model.trace.Packet.Origin;
import dev.kubeproxy.model.trace.TraceResult.Destination;
import dev.kubeproxy.model.trace.TraceResult.Verdict;
import java.util.ArrayList;
import java.util.List;

/**
 * The specification of what the rules do (DESIGN §4): {@link #of} follows a packet through a
 * {@link ForwardingTable} the way upstream kube-proxy's rules treat it, and says where it may
 * go, whether it is masqueraded, and why. Pure; the CLI prints it and backend tests compare the
 * kernel with it.
 *
 * <p>Order, as a packet meets the rules: an exact service address (ClusterIP, ExternalIP,
 * LoadBalancer IP with port and protocol), then a NodePort on a NodePort address, then the
 * known-ClusterIP reject, then the drop of an unallocated address inside a service CIDR
 * (nftables mode only, as upstream); anything else is not a service. A NodePort address is any of the
 * table's node addresses or, when nodePortAddresses is set, any address inside those CIDRs
 * (the table lists the Node's addresses, not every interface's); loopback never is.
 */
public final class Trace {
  private final ForwardingTable table;
  private final Packet packet;
  private final Origin origin;
  private final List<String> reasons = new ArrayList<>();

  private Trace(ForwardingTable table, Packet packet) {
    this.table = table;
    this.packet = packet;
    boolean fromNodeAddress = table.nodeAddresses().contains(packet.source());
    this.origin = fromNodeAddress ? Origin.NODE : packet.origin();
    if (fromNodeAddress && packet.origin() != Origin.NODE) {
      reasons.add("source " + packet.source() + " is a node address: traffic from the node");
    }
  }

  /** Traces {@code packet} through {@code table}; both must be of the same IP family. */
  public static TraceResult of(ForwardingTable table, Packet packet) {
    checkArgument(
        packet.source().family() == table.family(),
        "packet %s is not of the table's family %s", packet, table.family());
    return new Trace(table, packet).run();
  }

  private TraceResult run() {
    for (ServiceEntry entry : table.entries().values()) {
      for (Frontend f : entry.frontends()) {
        if (f.address() != null && f.address().equals(packet.destination()) && matchesPort(f)) {
          return f.kind() == FrontendKind.CLUSTER_IP ? clusterIp(entry, f) : external(entry, f);
        }
      }
    }
    String nodePortMiss = nodePortAddressMiss(packet.destination());
    if (nodePortMiss == null) {
      for (ServiceEntry entry : table.entries().values()) {
        for (Frontend f : entry.frontends()) {
          if (f.kind() == FrontendKind.NODE_PORT && matchesPort(f)) {
            return external(entry, f);
          }
        }
      }
    }
    if (table.isClusterIp(packet.destination())) {
      reasons.add(
          "unknown port on a known ClusterIP: no service port "
              + packet.port() + "/" + packet.protocol() + " on " + packet.destination());
      return verdict(Verdict.REJECT, null, null);
    }
    for (Cidr c : table.serviceCidrs()) {
      if (c.contains(packet.destination())) {
        reasons.add(packet.destination() + " is inside service CIDR " + c + " but no Service"
            + " holds it: DROP (nftables mode; iptables and IPVS modes route it normally)");
        return verdict(Verdict.DROP, null, null);
      }
    }
    reasons.add(
        "no service frontend matches " + packet.destination().withPort(packet.port()) + "/"
            + packet.protocol() + ": routed normally, no NAT");
    if (nodePortMiss != null && table.nodeAddresses().contains(packet.destination())) {
      reasons.add("NodePorts do not apply: " + nodePortMiss);
    }
    return verdict(Verdict.NOT_A_SERVICE, null, null);
  }

  private boolean matchesPort(Frontend f) {
    return f.port() == packet.port() && f.protocol() == packet.protocol();
  }

  /** Null when {@code address} is a NodePort address, else why it is not. */
  private String nodePortAddressMiss(IpAddress address) {
    if (address.isLoopback()) {
      return address + " is loopback";
    }
    if (table.nodePortAddresses().isEmpty()) {
      return table.nodeAddresses().contains(address) ? null : address + " is not a node address";
    }
    for (Cidr c : table.nodePortAddresses()) {
      if (c.contains(address)) {
        return null;
      }
    }
    return address + " is outside nodePortAddresses " + table.nodePortAddresses();
  }

  private TraceResult clusterIp(ServiceEntry entry, Frontend f) {
    reasons.add(describe(entry, f));
    if (entry.internalPolicyLocal()) {
      reasons.add("internalTrafficPolicy Local: node-local endpoints only");
    }
    return forward(entry, f, entry.internal().endpoints(), entry.internal().ifEmpty(),
        clusterIpMasquerade());
  }

  /** Upstream's ClusterIP rule: masquerade-all, or a detector that says "not a local pod". */
  private Masquerade clusterIpMasquerade() {
    if (table.masqueradeAll()) {
      return new Masquerade(true, "masqueradeAll");
    }
    if (!table.localDetector().enabled()) {
      return new Masquerade(false, "no local-traffic detector");
    }
    if (fromLocalPod()) {
      return new Masquerade(false, "source is a local pod");
    }
    return new Masquerade(true, "source is not a local pod");
  }

  private TraceResult external(ServiceEntry entry, Frontend f) {
    reasons.add(describe(entry, f));
    if (f.kind() == FrontendKind.LOAD_BALANCER && entry.hasFirewall()) {
      if (entry.firewallSources().stream().noneMatch(c -> c.contains(packet.source()))) {
        reasons.add(
            "source " + packet.source() + " is not in loadBalancerSourceRanges "
                + entry.firewallSources() + ": DROP");
        return verdict(Verdict.DROP, entry, f);
      }
      reasons.add("source " + packet.source() + " is allowed by loadBalancerSourceRanges");
    }
    if (entry.masqueradeExternal()) {
      return forward(entry, f, entry.external().endpoints(), entry.external().ifEmpty(),
          new Masquerade(true, "externalTrafficPolicy Cluster"));
    }
    if (table.localDetector().enabled() && fromLocalPod()) {
      reasons.add("externalTrafficPolicy Local: a local pod's traffic short-circuits to the"
          + " cluster-wide endpoints");
      // Upstream's ClusterIP masquerade rule matches the ClusterIP only, so it never fires here.
      return forward(entry, f, entry.cluster(), EmptyVerdict.REJECT,
          new Masquerade(false, "source is a local pod"));
    }
    if (origin == Origin.NODE) {
      reasons.add("externalTrafficPolicy Local: host traffic short-circuits to the cluster-wide"
          + " endpoints");
      return forward(entry, f, entry.cluster(), EmptyVerdict.REJECT,
          new Masquerade(true, "host traffic to an externalTrafficPolicy Local service"));
    }
    reasons.add("externalTrafficPolicy Local: node-local endpoints only");
    return forward(entry, f, entry.external().endpoints(), entry.external().ifEmpty(),
        new Masquerade(false, "externalTrafficPolicy Local preserves the client IP"));
  }

  /** Whether the detector counts this packet as traffic from a pod on this node. */
  private boolean fromLocalPod() {
    LocalTrafficDetector detector = table.localDetector();
    return switch (detector.mode()) {
      case NONE -> false;
      case CLUSTER_CIDR, NODE_CIDR -> detector.matchesSource(packet.source());
      case BRIDGE_INTERFACE, INTERFACE_NAME_PREFIX -> origin == Origin.POD;
    };
  }

  private TraceResult forward(
      ServiceEntry entry,
      Frontend f,
      ImmutableList<ServiceEndpoint> endpoints,
      EmptyVerdict ifEmpty,
      Masquerade masq) {
    if (endpoints.isEmpty()) {
      if (ifEmpty == EmptyVerdict.DROP) {
        reasons.add("no local endpoint while endpoints exist elsewhere: DROP");
        return verdict(Verdict.DROP, entry, f);
      }
      reasons.add("no usable endpoint: REJECT (ICMP port unreachable / TCP reset)");
      return verdict(Verdict.REJECT, entry, f);
    }
    int n = endpoints.size();
    boolean masquerade = masq.yes();
    reasons.add(n + (n == 1 ? " endpoint" : " endpoints") + ", each with probability 1/" + n);
    reasons.add("masquerade: " + (masquerade ? "yes (" : "no (") + masq.why() + ")");
    ImmutableList.Builder<Destination> destinations = ImmutableList.builder();
    for (ServiceEndpoint ep : endpoints) {
      boolean hairpin = ep.address().equals(packet.source());
      if (hairpin && !masquerade) {
        reasons.add("masquerade: yes if it lands on itself (hairpin to " + ep + ")");
      }
      destinations.add(new Destination(ep, 1.0 / n, masquerade || hairpin));
    }
    SessionAffinity affinity = entry.affinity();
    if (affinity.clientIp()) {
      reasons.add("sticky for " + affinity.timeoutSeconds() + "s per client (ClientIP affinity);"
          + " the first connection picks uniformly");
    }
    return new TraceResult(packet, Verdict.FORWARD, entry.key(), f, destinations.build(),
        masquerade, affinity, ImmutableList.copyOf(reasons));
  }

  private TraceResult verdict(Verdict verdict, ServiceEntry entry, Frontend f) {
    return new TraceResult(packet, verdict, entry == null ? null : entry.key(), f,
        ImmutableList.of(), false, SessionAffinity.NONE, ImmutableList.copyOf(reasons));
  }

  /** A masquerade decision and its reason. */
  private record Masquerade(boolean yes, String why) {}

  private String describe(ServiceEntry entry, Frontend f) {
    String kind = switch (f.kind()) {
      case CLUSTER_IP -> "ClusterIP";
      case NODE_PORT -> "NodePort";
      case EXTERNAL_IP -> "ExternalIP";
      case LOAD_BALANCER -> "LoadBalancer";
    };
    return kind + " " + packet.destination().withPort(f.port()) + "/" + f.protocol() + " of "
        + entry.key();
  }
}
