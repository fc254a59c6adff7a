package dev.kubeproxy.model;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.ServicePortSpec;
import dev.kubeproxy.model.ServiceFrontends.Slot;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Pure: turns a {@link ClusterSnapshot} and the proxy's {@link ProxyConfig} into one
 * {@link ForwardingTable} per IP family, with upstream kube-proxy's semantics (DESIGN §5).
 *
 * <p>When two service ports ask for the same frontend (address, port and protocol, or NodePort
 * and protocol), the smallest {@link ServicePortKey} keeps it and the others lose that frontend
 * with a warning; the rule does not depend on event order, so updates and builds agree.
 */
public final class TableBuilder {
  /** From this many services on, a whole build runs on the common fork-join pool. */
  static final int PARALLEL_BUILD_SERVICES = 1024;

  private TableBuilder() {}

  /** Builds the whole table of {@code family} from scratch. */
  public static ForwardingTable build(IpFamily family, ClusterSnapshot snapshot, ProxyConfig config) {
    NodeFacts facts = NodeFacts.of(family, snapshot.node(), config);
    FrontendClaims claims = FrontendClaims.of(snapshot);
    List<Service> services = List.copyOf(snapshot.services().values());
    // Services build independently; a large table (a full sync) builds on every core.
    Stream<Service> stream =
        services.size() >= PARALLEL_BUILD_SERVICES ? services.parallelStream() : services.stream();
    List<ImmutableMap<ServicePortKey, ServiceEntry>> perService = stream
        .map(service -> ServiceEntries.of(service, snapshot.slices(service.id()), facts, claims))
        .toList();
    Map<ServicePortKey, ServiceEntry> entries = new HashMap<>();
    perService.forEach(entries::putAll);
    return facts.emptyTable(config, snapshot.serviceCidrs(family)).withEntries(entries);
  }

  /**
   * Rebuilds only the entries of {@code changedServices} (Service or EndpointSlices changed
   * between {@code previousSnapshot} and {@code snapshot}); every other entry is shared with
   * {@code previous}. The result equals {@code build(family, snapshot, config)}.
   *
   * <p>Only for service changes: {@code previous} must be what {@link #build} gave for
   * {@code previousSnapshot} with the same {@code config} and the same Node facts. When the
   * Node or the service CIDRs changed ({@link PendingChanges#tableFactsChanged()}) or the config
   * did, callers build anew.
   * Besides the changed services, the services that gain or lose a contested frontend because
   * of them are rebuilt too.
   */
  public static TableUpdate update(
      ForwardingTable previous,
      ClusterSnapshot previousSnapshot,
      ClusterSnapshot snapshot,
      ProxyConfig config,
      Set<NamespacedName> changedServices) {
    IpFamily family = previous.family();
    NodeFacts facts = NodeFacts.of(family, snapshot.node(), config);
    FrontendClaims before = FrontendClaims.of(previousSnapshot);
    FrontendClaims after = FrontendClaims.of(previousSnapshot, snapshot, changedServices);

    Set<NamespacedName> rebuild = new HashSet<>(changedServices);
    for (NamespacedName id : changedServices) {
      Set<Slot> touched = new HashSet<>(FrontendClaims.slots(previousSnapshot.service(id), family));
      touched.addAll(FrontendClaims.slots(snapshot.service(id), family));
      for (Slot slot : touched) {
        ServicePortKey was = before.owner(slot);
        ServicePortKey is = after.owner(slot);
        if (!Objects.equals(was, is)) {
          addService(rebuild, was);
          addService(rebuild, is);
        }
      }
    }

    Map<ServicePortKey, ServiceEntry> changes = new HashMap<>();
    for (NamespacedName id : rebuild) {
      Map<ServicePortKey, ServiceEntry> fresh =
          ServiceEntries.of(snapshot.service(id), snapshot.slices(id), facts, after);
      Service old = previousSnapshot.service(id);
      if (old != null) {
        for (ServicePortSpec port : old.ports()) {
          ServicePortKey key = ServiceFrontends.key(old, port);
          if (!fresh.containsKey(key) && previous.entry(key) != null) {
            changes.put(key, null);
          }
        }
      }
      fresh.forEach(
          (key, entry) -> {
            if (!entry.equals(previous.entry(key))) {
              changes.put(key, entry);
            }
          });
    }
    return new TableUpdate(previous.withEntries(changes), ImmutableSet.copyOf(changes.keySet()));
  }

  private static void addService(Set<NamespacedName> services, ServicePortKey key) {
    if (key != null) {
      services.add(key.service());
    }
  }
}
