package dev.kubeproxy.bin.manifest;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;

/**
 * What one read of a manifest directory produced: the valid Services, EndpointSlices, Nodes and
 * ServiceCIDRs,
 * the problems found, and the ids of objects whose document named them but failed validation
 * (a source keeps their previous version, as an API server keeps an object whose update it
 * rejected), and the documents of other kinds, which are ignored by rule.
 */
public record ManifestSnapshot(
    ImmutableMap<NamespacedName, Service> services,
    ImmutableMap<NamespacedName, EndpointSlice> slices,
    ImmutableMap<String, Node> nodes,
    ImmutableList<ManifestProblem> problems,
    ImmutableSet<NamespacedName> rejectedServices,
    ImmutableSet<NamespacedName> rejectedSlices,
    ImmutableSet<String> rejectedNodes,
    ImmutableList<String> ignored,
    ImmutableMap<String, ServiceCidr> serviceCidrs,
    ImmutableSet<String> rejectedServiceCidrs) {

  /** The Node named {@code name}, or null. */
  public Node node(String name) {
    return nodes.get(name);
  }
}
