package dev.kubeproxy.model.conntrack;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pure: which conntrack entries of one IP family are stale given the table just committed, as
 * upstream's {@code conntrack/cleanup.go} reconciler decides (DESIGN §5).
 *
 * <p>Only UDP entries are looked at (upstream leaves TCP and SCTP alone). Each UDP service port
 * with at least one serving endpoint maps its ClusterIP, external IPs and LoadBalancer IPs (with
 * the service port) and its NodePort (any address) to the {@code ip:port} of every serving
 * endpoint ({@link ServiceEntry#servingEndpoints()}: ready or serving-terminating, whatever
 * traffic policy and topology chose). An entry to such a frontend whose reply source {@code
 * ip:port} is not one of them is stale: it points at an endpoint that is gone, no longer serving
 * or moved to another port, or was never DNATed (created while no rule served the frontend, so
 * its reply source is the frontend itself). A service port with no serving endpoint keeps its
 * entries, as upstream's does; so does every entry to anything that is not a UDP frontend.
 */
public final class ConntrackReconciler {
  private ConntrackReconciler() {}

  /** What to delete: the stale entries, and the fewest filters that cover exactly their groups. */
  public record Result(ImmutableList<ConntrackEntry> stale, ImmutableSortedSet<ConntrackFilter> filters) {}

  /** The stale entries among {@code entries} (of {@code table}'s family) and their filters. */
  public static Result reconcile(ForwardingTable table, Collection<ConntrackEntry> entries) {
    Map<Target, Set<Target>> byServiceIp = new HashMap<>();
    Map<Integer, Set<Target>> byNodePort = new HashMap<>();
    for (ServiceEntry e : table.entries().values()) {
      if (e.key().protocol() != Protocol.UDP || e.servingEndpoints().isEmpty()) {
        continue;
      }
      Set<Target> serving = new HashSet<>();
      for (ServiceEndpoint endpoint : e.servingEndpoints()) {
        serving.add(new Target(endpoint.address(), endpoint.port()));
      }
      for (Frontend f : e.frontends()) {
        if (f.protocol() != Protocol.UDP) {
          continue;
        }
        if (f.address() == null) {
          byNodePort.put(f.port(), serving);
        } else {
          byServiceIp.put(new Target(f.address(), f.port()), serving);
        }
      }
    }
    List<ConntrackEntry> stale = new ArrayList<>();
    ImmutableSortedSet.Builder<ConntrackFilter> filters = ImmutableSortedSet.naturalOrder();
    for (ConntrackEntry entry : entries) {
      if (!entry.protocol().equals("udp") || entry.family() != table.family()) {
        continue;
      }
      Target reply = new Target(entry.replySrc(), entry.replySrcPort());
      Set<Target> serving = byServiceIp.get(new Target(entry.origDst(), entry.origDstPort()));
      if (serving != null && !serving.contains(reply)) {
        stale.add(entry);
        filters.add(ConntrackFilter.toServiceIp(entry));
        continue;
      }
      serving = byNodePort.get(entry.origDstPort());
      if (serving != null && !serving.contains(reply)) {
        stale.add(entry);
        filters.add(ConntrackFilter.toNodePort(entry));
      }
    }
    return new Result(ImmutableList.copyOf(stale), filters.build());
  }

  /** An address and port: a frontend, or an endpoint as a reply source. */
  private record Target(IpAddress address, int port) {}
}
