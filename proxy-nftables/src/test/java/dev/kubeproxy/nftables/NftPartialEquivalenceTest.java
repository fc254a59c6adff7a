package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.Cidr;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Partial syncs converge on what a full sync programs: after a random sequence of changes
 * applied partially (both families in one transaction), the fake kernel holds exactly what a
 * fresh full sync of the final tables gives.
 */
class NftPartialEquivalenceTest {
  private static final int KEYS = 40;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 20240601})
  void partialSyncsEqualAFreshFullSync(long seed) throws Exception {
    Random random = new Random(seed);
    FakeNftKernel kernel = new FakeNftKernel();
    long[] clock = {0};
    NftablesBackend backend = new NftablesBackend(kernel, () -> clock[0]);
    ForwardingTable v4 = SampleTables.emptyNode(IpFamily.V4);
    ForwardingTable v6 = SampleTables.emptyNode(IpFamily.V6);
    backend.sync(SyncRequest.full(TableChange.initial(v4), TableChange.initial(v6)));

    for (int step = 0; step < 40; step++) {
      Map<ServicePortKey, ServiceEntry> c4 = new HashMap<>();
      Map<ServicePortKey, ServiceEntry> c6 = new HashMap<>();
      int changes = 1 + random.nextInt(5);
      for (int i = 0; i < changes; i++) {
        int index = random.nextInt(KEYS);
        boolean delete = random.nextInt(5) == 0;
        long entrySeed = random.nextLong();
        c4.put(key(index), delete ? null : randomEntry(new Random(entrySeed), IpFamily.V4, index));
        c6.put(key(index), delete ? null : randomEntry(new Random(entrySeed), IpFamily.V6, index));
      }
      ForwardingTable n4 = v4.withEntries(c4);
      ForwardingTable n6 = v6.withEntries(c6);
      clock[0] += random.nextInt(3) * 600_000_000L;
      backend.sync(SyncRequest.partial(
          new TableChange(IpFamily.V4, v4, n4, ImmutableSet.copyOf(c4.keySet())),
          new TableChange(IpFamily.V6, v6, n6, ImmutableSet.copyOf(c6.keySet()))));
      v4 = n4;
      v6 = n6;
    }
    // One more sync after the stale-chain delay deletes the chains flushed last.
    clock[0] += NftCompiler.STALE_CHAIN_DELAY_NANOS;
    backend.sync(SyncRequest.partial(
        new TableChange(IpFamily.V4, v4, v4, ImmutableSet.of()),
        new TableChange(IpFamily.V6, v6, v6, ImmutableSet.of())));

    // A full sync by the same backend (same affinity slot history) changes nothing.
    String partial = kernel.dump();
    backend.sync(SyncRequest.full(TableChange.initial(v4), TableChange.initial(v6)));
    assertThat(kernel.dump()).as("seed %d", seed).isEqualTo(partial);

    // A fresh backend numbers affinity slots without history (no holes); everything else, and
    // which endpoints each affinity frontend uses, is the same.
    FakeNftKernel fresh = new FakeNftKernel();
    new NftablesBackend(fresh).sync(SyncRequest.full(TableChange.initial(v4), TableChange.initial(v6)));
    for (IpFamily family : IpFamily.values()) {
      NftTable table = NftTable.kubeProxy(family);
      assertThat(withoutAffinityGroups(kernel.sets(table)))
          .isEqualTo(withoutAffinityGroups(fresh.sets(table)));
      assertThat(withoutAffinityGroups(kernel.chains(table)))
          .isEqualTo(withoutAffinityGroups(fresh.chains(table)));
      for (String set : withoutAffinityGroups(fresh.sets(table))) {
        if (!set.endsWith("-affinity-pick")) {
          assertThat(withoutAffinityGroups(kernel.elements(table, set))).as("seed %d %s", seed, set)
              .containsExactlyInAnyOrderElementsOf(withoutAffinityGroups(fresh.elements(table, set)));
        }
      }
      assertThat(affinityEndpoints(kernel, table)).as("seed %d", seed)
          .isEqualTo(affinityEndpoints(fresh, table));
    }
    assertThat(kernel.elements(NftTable.kubeProxy(IpFamily.V4), "cluster-ips")).as("seed %d", seed)
        .hasSize((int) v4.entries().values().stream().map(ServiceEntry::clusterIp).distinct().count());
  }

  /** {@code names} without affinity groups and without elements that jump to one. */
  private static List<String> withoutAffinityGroups(List<String> names) {
    return names.stream().filter(n -> !n.matches(".*-affinity-(tcp|udp|sctp)-.*"))
        .toList();
  }

  /** Per affinity group's space and frontend, the endpoints its slots hold. */
  private static Map<String, java.util.Set<String>> affinityEndpoints(FakeNftKernel kernel,
      NftTable table) {
    Map<String, java.util.Set<String>> out = new java.util.TreeMap<>();
    for (String set : kernel.sets(table)) {
      Group group = Group.parse(set);
      if (group == null || !group.isAffinity()) {
        continue;
      }
      for (String element : kernel.elements(table, set)) {
        String key = element.substring(0, element.indexOf(" : "));
        String frontend = group.space() + " " + key.substring(0, key.lastIndexOf(" . "));
        out.computeIfAbsent(frontend, f -> new java.util.TreeSet<>())
            .add(element.substring(element.indexOf(" : ") + 3));
      }
    }
    return out;
  }

  private static ServicePortKey key(int index) {
    return ServicePortKey.of("ns" + index % 3, "svc" + index, "p", index % 5 == 4 ? Protocol.UDP : Protocol.TCP);
  }

  /** A random entry: frontends, policies, affinity and endpoints drawn from small pools so that groups and hairpins are shared. */
  private static ServiceEntry randomEntry(Random r, IpFamily family, int index) {
    ServicePortKey key = key(index);
    Protocol p = key.protocol();
    ImmutableList.Builder<Frontend> frontends = ImmutableList.builder();
    // Two keys share each ClusterIP (as two ports of one service would).
    frontends.add(new Frontend(FrontendKind.CLUSTER_IP, SampleTables.indexed(family, 10, 96, index / 2 + 1),
        80 + index % 2, p));
    if (r.nextBoolean()) {
      frontends.add(Frontend.nodePort(30000 + index, p));
    }
    if (r.nextInt(3) == 0) {
      frontends.add(new Frontend(FrontendKind.EXTERNAL_IP, SampleTables.indexed(family, 172, 16, index + 1), 80, p));
    }
    boolean lb = r.nextInt(3) == 0;
    if (lb) {
      frontends.add(new Frontend(FrontendKind.LOAD_BALANCER, SampleTables.indexed(family, 172, 20, index + 1), 443, p));
    }
    List<ServiceEndpoint> all = new ArrayList<>();
    int count = r.nextInt(5);
    for (int i = 0; i < count; i++) {
      ServiceEndpoint e = SampleTables.endpoint(SampleTables.indexed(family, 10, 64, 1 + r.nextInt(30)), 8080, r.nextBoolean());
      if (!all.contains(e)) {
        all.add(e);
      }
    }
    ImmutableList<ServiceEndpoint> cluster = ImmutableList.sortedCopyOf(all);
    ImmutableList<ServiceEndpoint> local = ImmutableList.copyOf(cluster.stream().filter(ServiceEndpoint::local).toList());
    boolean externalLocal = r.nextBoolean();
    boolean internalLocal = r.nextInt(4) == 0;
    EmptyVerdict verdict = cluster.isEmpty() ? EmptyVerdict.REJECT : EmptyVerdict.DROP;
    EndpointList internal = internalLocal ? new EndpointList(local, verdict) : new EndpointList(cluster, EmptyVerdict.REJECT);
    EndpointList external = externalLocal ? new EndpointList(local, verdict) : new EndpointList(cluster, EmptyVerdict.REJECT);
    SessionAffinity affinity = r.nextInt(3) == 0 ? SessionAffinity.clientIp(r.nextBoolean() ? 60 : 10800) : SessionAffinity.NONE;
    ImmutableList<Cidr> firewall = lb && r.nextBoolean()
        ? ImmutableList.of(Cidr.parse(family == IpFamily.V4 ? "203.0.113.0/24" : "2001:db8:113::/64"))
        : ImmutableList.of();
    return ServiceEntry.builder(key, family)
        .frontends(frontends.build())
        .internal(internal)
        .external(external)
        .cluster(cluster)
        .internalPolicyLocal(internalLocal)
        .externalPolicyLocal(externalLocal)
        .affinity(affinity)
        .firewallSources(firewall)
        .build();
  }
}
