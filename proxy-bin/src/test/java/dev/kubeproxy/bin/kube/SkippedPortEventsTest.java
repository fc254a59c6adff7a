package dev.kubeproxy.bin.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import com.google.gson.JsonObject;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.KitBackend;
import dev.kubeproxy.api.testing.FailingCompiler;
import dev.kubeproxy.api.testing.PortIsolationScenario;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.model.sync.SyncEvent;
import dev.kubeproxy.nftables.FakeNftKernel;
import dev.kubeproxy.nftables.NftCompiler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A service port the backend skips becomes one Warning event regarding its Service, POSTed to the
 * fake API server through the official client: once per port and reason, not on every sync.
 */
class SkippedPortEventsTest {
  private static final IpFamily V4 = IpFamily.V4;
  @RegisterExtension final FakeApiServer api = FakeApiServer.perTest();

  @Test
  @DisplayName("a skipped port: one Warning event regarding its Service, not repeated by later syncs;"
      + " again after it recovered and broke again")
  void oneEventPerPortAndReason() throws Exception {
    ServiceEntry adversarial = SampleTables.generatedEntry(V4, 40, 7, true);
    AtomicReference<ServiceEntry> bad = new AtomicReference<>(adversarial);
    KitBackend<?, ?, ?> backend = new KitBackend<>("nftables",
        FailingCompiler.failingOn(new NftCompiler(), e -> e.equals(bad.get())), new FakeNftKernel(), () -> 0L);
    ForwardingTable good = PortIsolationScenario.good();
    ForwardingTable broken = PortIsolationScenario.with(good, adversarial);

    try (KubernetesNodeEvents events = new KubernetesNodeEvents(
        KubernetesSource.apiClient(null, api.url()), "node-a", Clock.systemUTC())) {
      ServiceUids uids = new ServiceUids();
      uids.seen(adversarial.key().service(), "uid-adversarial");
      SkippedPortEvents listener = SkippedPortEvents.of(backend, events, uids);
      backend.sync(SyncRequest.full(TableChange.initial(broken)));
      listener.onSync(succeeded());
      // Syncs that still skip it, full and partial: no new event.
      backend.sync(SyncRequest.full(TableChange.initial(broken)));
      listener.onSync(succeeded());
      ServiceEntry other = SampleTables.generatedEntry(V4, 5, 2, true);
      ForwardingTable changed = PortIsolationScenario.with(broken, other);
      backend.sync(SyncRequest.partial(new TableChange(V4, broken, changed, ImmutableSet.of(other.key()))));
      listener.onSync(succeeded());
      // A failed sync reports nothing.
      listener.onSync(failed());
      awaitEvents(1);
      assertThat(api.events()).hasSize(1);

      // Fixed (the port is programmed), then broken again: a second event.
      bad.set(null);
      backend.sync(SyncRequest.full(TableChange.initial(changed)));
      listener.onSync(succeeded());
      assertThat(backend.skipped(V4)).isEmpty();
      bad.set(adversarial);
      backend.sync(SyncRequest.full(TableChange.initial(changed)));
      listener.onSync(succeeded());
      awaitEvents(2);
    }

    List<JsonObject> posted = api.events();
    assertThat(posted).hasSize(2);
    JsonObject event = posted.get(0);
    String namespace = adversarial.key().service().namespace();
    assertThat(event.get("type").getAsString()).isEqualTo("Warning");
    assertThat(event.get("reason").getAsString()).isEqualTo("FailedToProgramServicePort");
    assertThat(event.get("action").getAsString()).isEqualTo("SyncProxyRules");
    assertThat(event.get("note").getAsString())
        .startsWith("port " + adversarial.key().portName() + "/" + adversarial.key().protocol() + " (IPv4)"
            + " is not programmed, the Service's other ports are: ")
        .contains("adversarial entry");
    assertThat(event.getAsJsonObject("metadata").get("namespace").getAsString()).isEqualTo(namespace);
    JsonObject regarding = event.getAsJsonObject("regarding");
    assertThat(regarding.get("kind").getAsString()).isEqualTo("Service");
    assertThat(regarding.get("namespace").getAsString()).isEqualTo(namespace);
    assertThat(regarding.get("name").getAsString()).isEqualTo(adversarial.key().service().name());
    assertThat(regarding.get("uid").getAsString()).isEqualTo("uid-adversarial");
    assertThat(api.requests()).contains("POST /apis/events.k8s.io/v1/namespaces/" + namespace + "/events");
  }

  @Test
  @DisplayName("a new reason for a port still skipped is a new event; the note stays under the API server's 1 kB")
  void newReasonIsANewEvent() {
    ServiceEntry entry = SampleTables.generatedEntry(V4, 40, 7, true);
    AtomicReference<String> reason = new AtomicReference<>("first");
    List<String> notes = new java.util.ArrayList<>();
    NodeEvents events = new NodeEvents() {
      @Override
      public void record(String type, String r, String action, String note) {}

      @Override
      public void recordForService(dev.kubeproxy.api.NamespacedName service, String uid, String type,
          String r, String action, String note) {
        notes.add(note);
      }
    };
    SkippedPortEvents listener = SkippedPortEvents.of(
        family -> family == V4
            ? com.google.common.collect.ImmutableSortedMap.of(entry.key(), reason.get())
            : com.google.common.collect.ImmutableSortedMap.of(),
        events);

    listener.onSync(succeeded());
    listener.onSync(succeeded());
    reason.set("x".repeat(5000));
    listener.onSync(succeeded());

    assertThat(notes).hasSize(2);
    assertThat(notes.get(0)).endsWith(": first");
    assertThat(notes.get(1)).hasSize(SkippedPortEvents.MAX_NOTE).endsWith("xx...");
  }

  private void awaitEvents(int count) throws InterruptedException {
    for (int i = 0; i < 100 && api.events().size() < count; i++) {
      Thread.sleep(50);
    }
    // Give a wrongly repeated event the time to arrive too.
    Thread.sleep(300);
  }

  private static SyncEvent succeeded() {
    return new SyncEvent(Instant.now(), Duration.ZERO, false, SyncResult.NOTHING, null, 0, 0, 0, null, 0);
  }

  private static SyncEvent failed() {
    return new SyncEvent(Instant.now(), Duration.ZERO, false, null, new IllegalStateException("x"), 0, 0, 0, null, 0);
  }
}
