package dev.kubeproxy.model.sync;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The sync engine against a stand-in table source (the real ChangeTracker/TableBuilder are
 * another module's work), a recording backend and a manual clock.
 */
class ServiceProxyTest {
  static final ServiceEndpoint A = endpoint("10.244.1.7", 53);
  static final ServiceEndpoint B = endpoint("10.244.2.9", 53);

  final ManualScheduler scheduler = new ManualScheduler();
  final Instant t0 = scheduler.now();
  final FakeTableSource source = new FakeTableSource(scheduler);
  final RecordingBackend backend = new RecordingBackend();
  final List<SyncEvent> events = new ArrayList<>();
  /** The tables the conntrack cleaner was asked to reconcile; it reports 2 stale entries each. */
  final List<ForwardingTable> cleaned = new ArrayList<>();
  boolean cleanerFails;
  final ServiceProxy proxy =
      ServiceProxy.builder(Set.of(IpFamily.V4), source, backend, scheduler)
          .listener(events::add)
          .conntrackCleaner(table -> {
            cleaned.add(table);
            if (cleanerFails) {
              throw new CommandException(Command.of("conntrack", "-L"), 1, "no permission");
            }
            return 2;
          })
          .build();

  static ServiceEntry svc(String name, int n) {
    return entry("default", name, "", Protocol.TCP)
        .clusterIp("10.96.0." + n, 80)
        .endpoints(endpoint("10.244.1." + n, 8080))
        .build();
  }

  static ServiceEntry dns(ServiceEndpoint... eps) {
    return entry("kube-system", "kube-dns", "dns", Protocol.UDP)
        .clusterIp("10.96.0.10", 53)
        .endpoints(eps)
        .build();
  }

  void change(ServiceEntry... entries) {
    source.put(entries);
    proxy.onChange();
  }

  TableChange lastChange() {
    return backend.last().changes().get(0);
  }

  /** Starts the proxy with services a and b applied by a first (full) sync at t0. */
  void startWithTwoServices() {
    source.put(svc("a", 1), svc("b", 2));
    proxy.start();
    scheduler.runDue();
    assertThat(backend.requests).hasSize(1);
  }

  @Test
  @DisplayName("Every syncPeriod the backend's rules are checked; when they are gone the next sync is full and runs at once")
  void monitorTurnsRemovedRulesIntoAFullSync() {
    startWithTwoServices();
    Duration syncPeriod = SyncPeriods.DEFAULTS.syncPeriod();
    scheduler.advance(syncPeriod);
    assertThat(backend.intactChecks).isEqualTo(1);
    assertThat(backend.requests).as("intact: no sync").hasSize(1);

    backend.intact = false;
    scheduler.advance(syncPeriod);
    assertThat(backend.intactChecks).isEqualTo(2);
    assertThat(backend.requests).hasSize(2);
    assertThat(backend.last().full()).isTrue();
    assertThat(scheduler.now()).isEqualTo(t0.plus(syncPeriod.multipliedBy(2)));

    backend.intact = true;
    proxy.stop();
    scheduler.advance(syncPeriod.multipliedBy(3));
    assertThat(backend.intactChecks).as("stopped: no more checks").isEqualTo(2);
  }

  @Test
  @DisplayName("Nothing is programmed until Services and EndpointSlices have both been listed")
  void noSyncBeforeInitialListing() {
    source.ready = false;
    proxy.start();
    change(svc("a", 1));
    scheduler.advance(Duration.ofMinutes(5));
    assertThat(backend.requests).isEmpty();
    assertThat(proxy.status().lastQueued()).as("the change is still queued").isEqualTo(t0);

    source.ready = true;
    proxy.onChange();
    scheduler.runDue();
    assertThat(backend.requests).hasSize(1);
    assertThat(backend.last().full()).isTrue();
    assertThat(lastChange().next().size()).isEqualTo(1);
  }

  @Test
  @DisplayName("The first sync is full: previous is empty, every key is changed")
  void firstSyncFull() {
    startWithTwoServices();
    assertThat(backend.last().full()).isTrue();
    TableChange c = lastChange();
    assertThat(c.previous().size()).isZero();
    assertThat(c.changedKeys()).containsExactlyInAnyOrder(svc("a", 1).key(), svc("b", 2).key());
    assertThat(source.calls).containsExactly("build V4");
    assertThat(proxy.committedTables().get(IpFamily.V4)).isSameAs(c.next());
    assertThat(proxy.status().lastSyncFull()).isTrue();
    assertThat(proxy.status().lastSuccessfulSync()).isEqualTo(t0);
  }

  @Test
  @DisplayName("Changes coalesce into one partial sync of exactly the changed services")
  void coalescing() {
    startWithTwoServices();
    ForwardingTable first = proxy.committedTables().get(IpFamily.V4);
    scheduler.advance(Duration.ofSeconds(5));
    change(svc("c", 3));
    change(svc("d", 4));
    source.remove(svc("a", 1).key().service());
    proxy.onChange();
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(backend.requests).hasSize(2);
    assertThat(backend.last().full()).isFalse();
    TableChange c = lastChange();
    assertThat(c.previous()).isSameAs(first);
    assertThat(c.changedKeys())
        .containsExactlyInAnyOrder(svc("a", 1).key(), svc("c", 3).key(), svc("d", 4).key());
    assertThat(c.next().entries().keySet())
        .containsExactlyInAnyOrder(svc("b", 2).key(), svc("c", 3).key(), svc("d", 4).key());
    assertThat(source.calls).containsExactly("build V4", "update V4 [default/a, default/c, default/d]");
    assertThat(events.get(1).serviceEvents()).isEqualTo(3);
  }

  @Test
  @DisplayName("Syncs are at least minSyncPeriod (1 s) apart")
  void minInterval() {
    startWithTwoServices();
    scheduler.advance(Duration.ofMillis(200));
    change(svc("c", 3));
    scheduler.advance(Duration.ofMillis(799));
    assertThat(backend.requests).hasSize(1);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(backend.requests).hasSize(2);
    assertThat(events.get(1).start()).isEqualTo(t0.plusSeconds(1));
  }

  @Test
  @DisplayName("A failed sync keeps the committed tables, retries after syncPeriod with a full sync, and loses no change")
  void failureRetriesFullAndLosesNothing() {
    startWithTwoServices();
    ForwardingTable committed = proxy.committedTables().get(IpFamily.V4);
    scheduler.advance(Duration.ofSeconds(10));
    backend.failures = 1;
    change(svc("c", 3));
    scheduler.runDue();
    assertThat(backend.requests).hasSize(2);
    assertThat(backend.last().full()).isFalse();
    assertThat(proxy.committedTables().get(IpFamily.V4)).isSameAs(committed);
    assertThat(proxy.status().consecutiveFailures()).isEqualTo(1);
    assertThat(events.get(1).succeeded()).isFalse();

    scheduler.advance(Duration.ofMillis(29_999));
    assertThat(backend.requests).as("no retry before syncPeriod").hasSize(2);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(backend.requests).hasSize(3);
    assertThat(backend.last().full()).isTrue();
    TableChange retry = lastChange();
    assertThat(retry.previous()).as("diffed against what was committed").isSameAs(committed);
    assertThat(retry.changedKeys()).contains(svc("c", 3).key());
    assertThat(retry.next().entry(svc("c", 3).key())).isEqualTo(svc("c", 3));
    SyncEvent ok = events.get(2);
    assertThat(ok.succeeded()).isTrue();
    assertThat(ok.changedServices()).as("carried over from the failed sync").isEqualTo(1);
    assertThat(ok.networkProgrammingLatency()).isEqualTo(Duration.ofSeconds(30));
    assertThat(proxy.status().consecutiveFailures()).isZero();
    assertThat(proxy.status().lastQueued()).isNull();
  }

  @Test
  @DisplayName("After a failure the next sync is full even when triggered by a new change")
  void failureThenChange() {
    startWithTwoServices();
    scheduler.advance(Duration.ofSeconds(10));
    backend.failures = 1;
    change(svc("c", 3));
    scheduler.runDue();
    scheduler.advance(Duration.ofSeconds(2));
    change(svc("d", 4));
    scheduler.runDue();
    assertThat(backend.requests).hasSize(3);
    assertThat(backend.last().full()).isTrue();
    assertThat(lastChange().next().entries().keySet())
        .contains(svc("c", 3).key(), svc("d", 4).key());
    assertThat(events.get(2).changedServices()).isEqualTo(2);
  }

  @Test
  @DisplayName("A table-building error fails the sync like a backend error: nothing sent, retried full")
  void tableBuildingError() {
    startWithTwoServices();
    source.failNextTableWork(new IllegalStateException("builder bug"));
    scheduler.advance(Duration.ofSeconds(10));
    change(svc("c", 3));
    scheduler.runDue();
    assertThat(backend.requests).hasSize(1);
    assertThat(proxy.status().consecutiveFailures()).isEqualTo(1);
    scheduler.advance(Duration.ofSeconds(30));
    assertThat(backend.requests).hasSize(2);
    assertThat(backend.last().full()).isTrue();
    assertThat(lastChange().next().entry(svc("c", 3).key())).isNotNull();
  }

  @Test
  @DisplayName("With no changes a full sync still runs every fullSyncPeriod (1 h)")
  void hourlyFullWithoutChanges() {
    startWithTwoServices();
    scheduler.advance(Duration.ofMinutes(10));
    change(svc("c", 3));
    scheduler.runDue();
    assertThat(backend.last().full()).isFalse();
    scheduler.advance(Duration.ofMinutes(59));
    assertThat(backend.requests).hasSize(2);
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(backend.requests).hasSize(3);
    assertThat(backend.last().full()).isTrue();
    assertThat(events.get(2).start()).isEqualTo(t0.plus(Duration.ofMinutes(70)));
  }

  @Test
  @DisplayName("A change-driven sync is full once the last full sync is fullSyncPeriod old")
  void fullWhenLastFullIsOld() {
    startWithTwoServices();
    scheduler.advance(Duration.ofMinutes(30));
    change(svc("c", 3));
    scheduler.runDue();
    scheduler.advance(Duration.ofMinutes(30));
    change(svc("d", 4));
    scheduler.runDue();
    assertThat(backend.requests).extracting(r -> r.full()).containsExactly(true, false, true);
  }

  @Test
  @DisplayName("A Node change forces a full sync")
  void nodeChangeFull() {
    startWithTwoServices();
    scheduler.advance(Duration.ofSeconds(5));
    source.nodeChanged();
    proxy.onChange();
    scheduler.runDue();
    assertThat(backend.last().full()).isTrue();
  }

  @Test
  @DisplayName("A change of the service CIDRs forces a full sync (tables are rebuilt with the new facts)")
  void serviceCidrChangeFull() {
    startWithTwoServices();
    scheduler.advance(Duration.ofSeconds(5));
    source.serviceCidrsChanged();
    proxy.onChange();
    scheduler.runDue();
    assertThat(backend.last().full()).isTrue();
    assertThat(source.calls).last().asString().startsWith("build");
  }

  @Test
  @DisplayName("healthz: unhealthy once a queued change is unapplied for 2 x syncPeriod; healthy after it applies")
  void healthz() {
    startWithTwoServices();
    assertThat(proxy.healthy()).isTrue();
    scheduler.advance(Duration.ofSeconds(10));
    Instant queued = scheduler.now();
    backend.failures = 3; // attempts at +0 s, +30 s and +60 s fail; +90 s succeeds
    change(svc("c", 3));
    scheduler.advance(Duration.ofSeconds(59));
    assertThat(proxy.status().lastQueued()).isEqualTo(queued);
    assertThat(proxy.healthy()).isTrue();
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(proxy.healthy()).isFalse();
    assertThat(proxy.status().consecutiveFailures()).isEqualTo(3);
    scheduler.advance(Duration.ofSeconds(30));
    assertThat(proxy.healthy()).isTrue();
    assertThat(proxy.status().lastQueued()).isNull();
    assertThat(proxy.status().lastSuccessfulSync()).isEqualTo(queued.plusSeconds(90));
  }

  @Test
  @DisplayName("A change queued while a sync runs stays pending after that sync and is applied next")
  void changeDuringSync() {
    startWithTwoServices();
    scheduler.advance(Duration.ofSeconds(10));
    backend.duringSync = () -> {
      backend.duringSync = () -> {};
      scheduler.elapse(Duration.ofMillis(300));
      change(svc("d", 4));
    };
    change(svc("c", 3));
    scheduler.runDue();
    assertThat(backend.requests).hasSize(2);
    assertThat(proxy.status().lastQueued()).isEqualTo(t0.plusMillis(10_300));
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(backend.requests).hasSize(3);
    assertThat(lastChange().changedKeys()).containsExactly(svc("d", 4).key());
    assertThat(proxy.status().lastQueued()).isNull();
  }

  @Test
  @DisplayName("Conntrack is reconciled with the committed table after the first (full) sync and after UDP changes")
  void conntrackReconciledAfterUdpChanges() {
    source.put(dns(A, B));
    proxy.start();
    scheduler.runDue();
    assertThat(cleaned).as("the first sync is full: what earlier runs left goes").hasSize(1);
    assertThat(events.get(0).staleFlows()).isEqualTo(2);
    scheduler.advance(Duration.ofSeconds(5));
    change(dns(A));
    scheduler.runDue();
    assertThat(cleaned).hasSize(2);
    assertThat(cleaned.get(1)).isSameAs(proxy.committedTables().get(IpFamily.V4));
    assertThat(cleaned.get(1).entry(dns().key()).servingEndpoints()).containsExactly(A);
  }

  @Test
  @DisplayName("A partial sync that changed only TCP ports does not list conntrack")
  void tcpOnlyChangeSkipsConntrack() {
    source.put(dns(A));
    proxy.start();
    scheduler.runDue();
    scheduler.advance(Duration.ofSeconds(5));
    change(svc("web", 3));
    scheduler.runDue();
    assertThat(backend.requests).hasSize(2);
    assertThat(cleaned).hasSize(1);
    assertThat(events.get(1).staleFlows()).isZero();
  }

  @Test
  @DisplayName("A failed reconcile is not a failed sync, and is retried after the next sync, whatever changed")
  void failedReconcileRetried() {
    source.put(dns(A));
    cleanerFails = true;
    proxy.start();
    scheduler.runDue();
    assertThat(events.get(0).succeeded()).isTrue();
    assertThat(proxy.status().consecutiveFailures()).isZero();
    cleanerFails = false;
    scheduler.advance(Duration.ofSeconds(5));
    change(svc("web", 3));
    scheduler.runDue();
    assertThat(cleaned).as("retried after a TCP-only sync").hasSize(2);
    scheduler.advance(Duration.ofSeconds(5));
    change(svc("web", 4));
    scheduler.runDue();
    assertThat(cleaned).as("no retry once it succeeded").hasSize(2);
  }

  @Test
  @DisplayName("A failed sync reconciles no conntrack (the old rules are still in place); its retry does")
  void noCleanupOnFailure() {
    source.put(dns(A, B));
    proxy.start();
    scheduler.runDue();
    cleaned.clear();
    backend.failures = 1;
    scheduler.advance(Duration.ofSeconds(5));
    change(dns(A));
    scheduler.runDue();
    assertThat(cleaned).isEmpty();
    scheduler.advance(Duration.ofSeconds(30));
    assertThat(cleaned).hasSize(1);
    assertThat(cleaned.get(0).entry(dns().key()).servingEndpoints()).containsExactly(A);
  }

  @Test
  @DisplayName("Dual-stack: one request carries a table change per family")
  void dualStack() {
    ServiceProxy dual = ServiceProxy.builder(Set.of(IpFamily.V4, IpFamily.V6), source, backend, scheduler)
        .build();
    ServiceEntry v6 = entry("default", "a", "", Protocol.TCP)
        .clusterIp("fd00:96::1", 80).endpoints(endpoint("fd00:244::1", 80)).build();
    source.put(svc("a", 1), v6);
    dual.start();
    scheduler.runDue();
    assertThat(backend.last().changes()).extracting(TableChange::family)
        .containsExactly(IpFamily.V4, IpFamily.V6);
    assertThat(dual.committedTables().get(IpFamily.V6).entry(v6.key())).isEqualTo(v6);
  }

  @Test
  @DisplayName("SyncStatus.healthy boundary: exactly 2 x syncPeriod old is unhealthy")
  void statusBoundary() {
    SyncStatus s = new SyncStatus(t0, null, false, 0);
    assertThat(s.healthy(t0.plusMillis(59_999), Duration.ofSeconds(30))).isTrue();
    assertThat(s.healthy(t0.plusSeconds(60), Duration.ofSeconds(30))).isFalse();
    assertThat(SyncStatus.INITIAL.healthy(t0.plus(Duration.ofDays(1)), Duration.ofSeconds(30))).isTrue();
  }
}
