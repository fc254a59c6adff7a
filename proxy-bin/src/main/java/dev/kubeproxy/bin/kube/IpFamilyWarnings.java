package dev.kubeproxy.bin.kube;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LoadBalancerIngress;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upstream's warning about a Service holding addresses of an IP family this proxy does not
 * handle (a single-stack node): reason {@code KubeProxyIncorrectIPVersion}, action {@code
 * GatherEndpoints}, note {@code "<values> in <field> has incorrect IP version"}, regarding the
 * Service, plus one log line. Fields as upstream's single-stack proxier checked them: {@code
 * clusterIP} (no ClusterIP in a handled family: the Service is not programmed, and nothing else
 * is checked), {@code externalIPs}, {@code loadBalancerSourceRanges} and {@code Load Balancer
 * ingress IPs}. Deduplicated per Service: a warning is sent when it first appears, not again
 * while the Service keeps it (relists, resyncs, unrelated updates); a Service's deletion forgets
 * its warnings. Thread-safe.
 */
final class IpFamilyWarnings {
  private static final Logger log = LoggerFactory.getLogger(IpFamilyWarnings.class);

  static final String REASON = "KubeProxyIncorrectIPVersion";
  static final String ACTION = "GatherEndpoints";

  private final ImmutableSet<IpFamily> families;
  private final NodeEvents events;
  // Per Service, the notes last sent; guarded by this.
  private final Map<NamespacedName, Set<String>> sent = new HashMap<>();

  IpFamilyWarnings(Set<IpFamily> families, NodeEvents events) {
    this.families = ImmutableSet.copyOf(families);
    this.events = Objects.requireNonNull(events, "events");
  }

  /** Checks {@code service} (UID {@code uid}) and sends each warning it newly has. */
  void check(Service service, String uid) {
    List<String> notes = notes(service);
    Set<String> now = new LinkedHashSet<>(notes);
    Set<String> before;
    synchronized (this) {
      before = now.isEmpty() ? sent.remove(service.id()) : sent.put(service.id(), now);
    }
    for (String note : notes) {
      if (before == null || !before.contains(note)) {
        log.error("{} (service {})", note, service.id());
        events.recordForService(service.id(), uid, NodeEvents.WARNING, REASON, ACTION, note);
      }
    }
  }

  /** Forgets {@code service}'s warnings (it was deleted). */
  synchronized void forget(NamespacedName service) {
    sent.remove(service);
  }

  /** The notes of every wrong-family field of {@code service}, in upstream's order. */
  List<String> notes(Service service) {
    List<String> notes = new ArrayList<>();
    if (families.size() == IpFamily.values().length
        || service.headless()
        || service.type() == ServiceType.EXTERNAL_NAME) {
      return notes;
    }
    if (!service.clusterIps().isEmpty()
        && service.clusterIps().stream().noneMatch(ip -> families.contains(ip.family()))) {
      notes.add(note("clusterIP", service.clusterIps(), IpAddress::toString));
      return notes;
    }
    addIfAny(notes, "externalIPs", wrong(service.externalIps(), IpAddress::family), IpAddress::toString);
    addIfAny(notes, "loadBalancerSourceRanges",
        wrong(service.loadBalancerSourceRanges(), Cidr::family), Cidr::toString);
    List<IpAddress> ingress = new ArrayList<>();
    for (LoadBalancerIngress i : service.loadBalancerIngress()) {
      if (i.ip() != null && !families.contains(i.ip().family())) {
        ingress.add(i.ip());
      }
    }
    addIfAny(notes, "Load Balancer ingress IPs", ingress, IpAddress::toString);
    return notes;
  }

  private <T> List<T> wrong(List<T> values, Function<T, IpFamily> family) {
    return values.stream().filter(v -> !families.contains(family.apply(v))).toList();
  }

  private static <T> void addIfAny(
      List<String> notes, String field, List<T> values, Function<T, String> text) {
    if (!values.isEmpty()) {
      notes.add(note(field, values, text));
    }
  }

  private static <T> String note(String field, List<T> values, Function<T, String> text) {
    return values.stream().map(text).collect(Collectors.joining(","))
        + " in " + field + " has incorrect IP version";
  }
}
