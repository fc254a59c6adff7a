package dev.kubeproxy.api.testing;

import static com.google.common.base.Preconditions.checkArgument;

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
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * The scenario a backend's partial-equivalence test runs on its fake kernel, so that the test
 * states only how it compares the result with a fresh full sync: from empty tables, a full sync,
 * then {@value #STEPS} seeded random steps each changing or deleting 1 to 5 of {@value #KEYS}
 * service ports (both families alike, in one request), the {@link Clock} jumping 0 to 2 ticks
 * per step, and after the settling delay one more sync without changes.
 *
 * @param tickNanos how far one clock tick jumps
 * @param fullSyncEvery every how many steps a full sync over the existing kernel takes the
 *     partial one's place; 0 for never
 * @param settleNanos how far the clock jumps before the last sync (the backend's delay before
 *     it deletes what the steps left behind)
 * @param sharedExternalIps whether two ports share each ExternalIP (on ports 80 and 81) instead
 *     of each having its own on port 80
 * @param healthCheckNodePorts whether some entries get a health check node port
 */
public record PartialSyncScenario(
    long tickNanos,
    int fullSyncEvery,
    long settleNanos,
    boolean sharedExternalIps,
    boolean healthCheckNodePorts) {
  /** How many random steps a run takes. */
  public static final int STEPS = 40;

  /** How many service ports the steps draw from. */
  public static final int KEYS = 40;

  public PartialSyncScenario {
    checkArgument(tickNanos >= 0, "tick %s", tickNanos);
    checkArgument(fullSyncEvery >= 0, "fullSyncEvery %s", fullSyncEvery);
    checkArgument(settleNanos >= 0, "settle %s", settleNanos);
  }

  /** The tables a run ends with, which a fresh full sync programs for comparison. */
  public record Tables(ForwardingTable v4, ForwardingTable v6) {
    /** A full sync of these tables from nothing. */
    public SyncRequest fullSync() {
      return SyncRequest.full(TableChange.initial(v4), TableChange.initial(v6));
    }
  }

  /** The nanosecond clock a run advances; give it to the backend under test. */
  public static final class Clock implements LongSupplier {
    private long now;

    @Override
    public long getAsLong() {
      return now;
    }

    void advance(long nanos) {
      now += nanos;
    }
  }

  /** Runs the scenario of {@code seed} on {@code backend}, which reads {@code clock}. */
  public Tables run(long seed, Backend backend, Clock clock) throws Exception {
    Random random = new Random(seed);
    ForwardingTable v4 = SampleTables.emptyNode(IpFamily.V4);
    ForwardingTable v6 = SampleTables.emptyNode(IpFamily.V6);
    backend.sync(new Tables(v4, v6).fullSync());

    for (int step = 0; step < STEPS; step++) {
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
      clock.advance(random.nextInt(3) * tickNanos);
      TableChange t4 = new TableChange(IpFamily.V4, v4, n4, ImmutableSet.copyOf(c4.keySet()));
      TableChange t6 = new TableChange(IpFamily.V6, v6, n6, ImmutableSet.copyOf(c6.keySet()));
      boolean full = fullSyncEvery > 0 && step % fullSyncEvery == fullSyncEvery - 1;
      backend.sync(full ? SyncRequest.full(t4, t6) : SyncRequest.partial(t4, t6));
      v4 = n4;
      v6 = n6;
    }
    clock.advance(settleNanos);
    backend.sync(
        SyncRequest.partial(
            new TableChange(IpFamily.V4, v4, v4, ImmutableSet.of()),
            new TableChange(IpFamily.V6, v6, v6, ImmutableSet.of())));
    return new Tables(v4, v6);
  }

  private static ServicePortKey key(int index) {
    return ServicePortKey.of(
        "ns" + index % 3, "svc" + index, "p", index % 5 == 4 ? Protocol.UDP : Protocol.TCP);
  }

  /**
   * A random entry: frontends, policies, affinity and endpoints drawn from small pools, so that
   * addresses, endpoints and the objects built from them are shared between entries.
   */
  private ServiceEntry randomEntry(Random r, IpFamily family, int index) {
    ServicePortKey key = key(index);
    Protocol p = key.protocol();
    ImmutableList.Builder<Frontend> frontends = ImmutableList.builder();
    // Two keys share each ClusterIP (as two ports of one service would).
    frontends.add(
        new Frontend(
            FrontendKind.CLUSTER_IP,
            SampleTables.indexed(family, 10, 96, index / 2 + 1),
            80 + index % 2,
            p));
    if (r.nextBoolean()) {
      frontends.add(Frontend.nodePort(30000 + index, p));
    }
    if (r.nextInt(3) == 0) {
      frontends.add(
          sharedExternalIps
              ? new Frontend(
                  FrontendKind.EXTERNAL_IP,
                  SampleTables.indexed(family, 172, 16, index / 2 + 1),
                  80 + index % 2,
                  p)
              : new Frontend(
                  FrontendKind.EXTERNAL_IP, SampleTables.indexed(family, 172, 16, index + 1), 80, p));
    }
    boolean lb = r.nextInt(3) == 0;
    if (lb) {
      frontends.add(
          new Frontend(
              FrontendKind.LOAD_BALANCER,
              SampleTables.indexed(family, 172, 20, index + 1),
              443,
              p));
    }
    List<ServiceEndpoint> all = new ArrayList<>();
    int count = r.nextInt(5);
    for (int i = 0; i < count; i++) {
      ServiceEndpoint e =
          SampleTables.endpoint(
              SampleTables.indexed(family, 10, 64, 1 + r.nextInt(30)), 8080, r.nextBoolean());
      if (!all.contains(e)) {
        all.add(e);
      }
    }
    ImmutableList<ServiceEndpoint> cluster = ImmutableList.sortedCopyOf(all);
    ImmutableList<ServiceEndpoint> local =
        ImmutableList.copyOf(cluster.stream().filter(ServiceEndpoint::local).toList());
    boolean externalLocal = r.nextBoolean();
    boolean internalLocal = r.nextInt(4) == 0;
    EmptyVerdict verdict = cluster.isEmpty() ? EmptyVerdict.REJECT : EmptyVerdict.DROP;
    EndpointList internal =
        internalLocal
            ? new EndpointList(local, verdict)
            : new EndpointList(cluster, EmptyVerdict.REJECT);
    EndpointList external =
        externalLocal
            ? new EndpointList(local, verdict)
            : new EndpointList(cluster, EmptyVerdict.REJECT);
    SessionAffinity affinity =
        r.nextInt(3) == 0
            ? SessionAffinity.clientIp(r.nextBoolean() ? 60 : 10800)
            : SessionAffinity.NONE;
    ImmutableList<Cidr> firewall =
        lb && r.nextBoolean()
            ? ImmutableList.of(
                Cidr.parse(family == IpFamily.V4 ? "203.0.113.0/24" : "2001:db8:113::/64"))
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
        .healthCheckNodePort(healthCheckNodePorts && r.nextInt(4) == 0 ? 32000 + index : 0)
        .build();
  }
}
