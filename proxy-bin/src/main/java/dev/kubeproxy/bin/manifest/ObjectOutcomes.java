package dev.kubeproxy.bin.manifest;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableSortedMap;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceType;
import java.util.Map;
import java.util.TreeMap;

/**
 * What became of every object one read of a manifest directory saw, so that none is dropped
 * silently: programmed (handed to the proxy and used), skipped with a reason (each a {@link
 * ManifestProblem}, logged at WARN), or ignored by rule (headless, ExternalName, another proxy's,
 * a slice of no proxied Service, another Node, another kind), counted per rule.
 */
public record ObjectOutcomes(int programmed, int skipped, ImmutableSortedMap<String, Integer> ignoredByRule) {

  /** Classifies the objects of {@code snapshot} for the proxy of node {@code nodeName}. */
  public static ObjectOutcomes of(ManifestSnapshot snapshot, String nodeName) {
    checkNotNull(nodeName, "nodeName");
    Map<String, Integer> ignored = new TreeMap<>();
    int programmed = 0;
    for (Service service : snapshot.services().values()) {
      String rule = ignoredBecause(service);
      if (rule == null) {
        programmed++;
      } else {
        ignored.merge(rule, 1, Integer::sum);
      }
    }
    for (EndpointSlice slice : snapshot.slices().values()) {
      String rule = ignoredBecause(slice, snapshot);
      if (rule == null) {
        programmed++;
      } else {
        ignored.merge(rule, 1, Integer::sum);
      }
    }
    for (String node : snapshot.nodes().keySet()) {
      if (node.equals(nodeName)) {
        programmed++;
      } else {
        ignored.merge("another node", 1, Integer::sum);
      }
    }
    // Every ServiceCIDR is a fact of the tables (nftables mode drops unallocated addresses).
    programmed += snapshot.serviceCidrs().size();
    if (!snapshot.ignored().isEmpty()) {
      ignored.merge("another kind", snapshot.ignored().size(), Integer::sum);
    }
    return new ObjectOutcomes(programmed, snapshot.problems().size(), ImmutableSortedMap.copyOf(ignored));
  }

  /** The rule by which kube-proxy ignores {@code service}, or null when it programs it. */
  static String ignoredBecause(Service service) {
    if (service.type() == ServiceType.EXTERNAL_NAME) {
      return "ExternalName";
    }
    if (service.labels().containsKey(Service.LABEL_SERVICE_PROXY_NAME)) {
      return "service-proxy-name";
    }
    if (service.headless() || service.labels().containsKey(Service.LABEL_HEADLESS)) {
      return "headless";
    }
    return null;
  }

  private static String ignoredBecause(EndpointSlice slice, ManifestSnapshot snapshot) {
    if (slice.serviceId() == null) {
      return "slice without service-name label";
    }
    if (slice.addressFamily() == null) {
      return "FQDN slice";
    }
    if (slice.labels().containsKey(Service.LABEL_SERVICE_PROXY_NAME)
        || slice.labels().containsKey(Service.LABEL_HEADLESS)) {
      return "service-proxy-name";
    }
    Service service = snapshot.services().get(slice.serviceId());
    if (service == null || ignoredBecause(service) != null) {
      return "slice of no proxied Service";
    }
    return null;
  }

  /** Everything the source saw. */
  public int total() {
    return programmed + skipped + ignoredByRule.values().stream().mapToInt(Integer::intValue).sum();
  }

  /**
   * The one summary line, e.g. {@code 12 programmed, 1 skipped with a reason, 3 ignored by rule
   * (2 headless, 1 ExternalName)}.
   */
  public String line() {
    int ignored = total() - programmed - skipped;
    StringBuilder b = new StringBuilder()
        .append(programmed).append(" programmed, ")
        .append(skipped).append(" skipped with a reason, ")
        .append(ignored).append(" ignored by rule");
    if (!ignoredByRule.isEmpty()) {
      b.append(" (");
      String separator = "";
      for (Map.Entry<String, Integer> e : ignoredByRule.entrySet()) {
        b.append(separator).append(e.getValue()).append(' ').append(e.getKey());
        separator = ", ";
      }
      b.append(')');
    }
    return b.toString();
  }
}
