package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.model.MergedEndpoints.Merged;
import java.util.List;
import java.util.function.Predicate;

/**
 * The endpoint sets of one service port, decided as upstream's {@code CategorizeEndpoints}: the
 * cluster set (Ready endpoints narrowed by topology hints, else every serving-and-terminating
 * one) and the local set (local Ready endpoints, else local serving-and-terminating ones), each
 * computed only when a traffic policy uses it, and whether any endpoint is usable at all.
 */
record EndpointCategories(
    ImmutableList<ServiceEndpoint> cluster, ImmutableList<ServiceEndpoint> local, boolean hasAny) {

  /** The topology facts of this node. */
  record Topology(String nodeName, String zone, boolean preferSameNode) {}

  static EndpointCategories of(
      List<Merged> endpoints, boolean usesCluster, boolean usesLocal, Topology topology) {
    boolean hasAny = false;
    for (Merged m : endpoints) {
      hasAny |= m.ready() || m.servingTerminating();
    }
    ImmutableList<ServiceEndpoint> cluster = ImmutableList.of();
    if (usesCluster) {
      Predicate<Merged> hinted = hintFilter(endpoints, topology);
      cluster = select(endpoints, m -> m.ready() && hinted.test(m), false);
      if (cluster.isEmpty()) {
        cluster = select(endpoints, Merged::servingTerminating, true);
      }
    }
    ImmutableList<ServiceEndpoint> local = ImmutableList.of();
    if (usesLocal) {
      local = select(endpoints, m -> m.local() && m.ready(), false);
      if (local.isEmpty()) {
        local = select(endpoints, m -> m.local() && m.servingTerminating(), true);
      }
    }
    return new EndpointCategories(cluster, local, hasAny);
  }

  private static ImmutableList<ServiceEndpoint> select(
      List<Merged> endpoints, Predicate<Merged> keep, boolean terminatingFallback) {
    ImmutableList.Builder<ServiceEndpoint> out = ImmutableList.builder();
    for (Merged m : endpoints) {
      if (keep.test(m)) {
        out.add(terminatingFallback ? m.asTerminating() : m.endpoint());
      }
    }
    return out.build();
  }

  /**
   * Upstream's hint rules, looking only at Ready endpoints: same-node hints when enabled, every
   * one carries node hints and one names this node; else same-zone hints when every one carries
   * zone hints and one names this node's zone; else no narrowing.
   */
  private static Predicate<Merged> hintFilter(List<Merged> endpoints, Topology topology) {
    boolean allNodeHints = true;
    boolean forThisNode = false;
    boolean allZoneHints = true;
    boolean forThisZone = false;
    for (Merged m : endpoints) {
      if (!m.ready()) {
        continue;
      }
      if (m.source().nodeHints().isEmpty()) {
        allNodeHints = false;
      } else if (m.source().nodeHints().contains(topology.nodeName())) {
        forThisNode = true;
      }
      if (m.source().zoneHints().isEmpty()) {
        allZoneHints = false;
      } else if (topology.zone() != null && m.source().zoneHints().contains(topology.zone())) {
        forThisZone = true;
      }
    }
    if (topology.preferSameNode() && allNodeHints && forThisNode) {
      return m -> m.source().nodeHints().contains(topology.nodeName());
    }
    if (allZoneHints && forThisZone) {
      return m -> m.source().zoneHints().contains(topology.zone());
    }
    return m -> true;
  }
}
