package dev.kubeproxy.userspace;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.backend.BackendStats.Metric;
import dev.kubeproxy.api.backend.BackendStats.Sample;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.backend.kit.KitBackend;
import dev.kubeproxy.api.testing.FailingCompiler;
import dev.kubeproxy.api.testing.PortIsolationScenario;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.nftables.FakeNftKernel;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One service port the userspace compiler cannot compile costs only itself (issue 14), in node
 * mode on fake listeners and the fake nftables kernel: the listeners and redirect rules end as a
 * fresh backend's full sync of the table without that port leaves them, and the backend exports
 * the kit's skipped-port metrics.
 */
class UserspacePortIsolationTest {
  private static final PortRange PORTS = new PortRange(24000, 24999);
  private static final Pattern LISTENER_PORT = Pattern.compile("\\b(\\d{5})\\b");

  @Test
  @DisplayName("a compiler failing on one port: full and partial syncs program the rest, a fix programs it")
  void failingCompilerFullAndPartial() throws Exception {
    new PortIsolationScenario<Node>(
            Node::new,
            (node, fails) -> failing(node, fails).kit(),
            node -> UserspaceBackend.node(node.listeners, node.nft, PORTS, () -> 0L),
            Node::dump)
        .run();
  }

  @Test
  @DisplayName("metrics(): the skipped-port gauge and counter, labelled by family")
  void metricsCountTheSkippedPort() throws Exception {
    Node node = new Node();
    ServiceEntry adversarial = SampleTables.generatedEntry(IpFamily.V4, 40, 7, true);
    UserspaceBackend backend = failing(node, e -> e.key().equals(adversarial.key()));
    ForwardingTable good = PortIsolationScenario.good();
    ForwardingTable bad = PortIsolationScenario.with(good, adversarial);

    backend.sync(SyncRequest.full(TableChange.initial(bad)));
    assertThat(backend.skipped(IpFamily.V4)).containsOnlyKeys(adversarial.key());
    assertThat(value(backend, KitBackend.SKIPPED, "IPv4")).isEqualTo(1);
    assertThat(value(backend, KitBackend.SKIPPED_TOTAL, "IPv4")).isEqualTo(1);
    assertThat(value(backend, KitBackend.SKIPPED, "IPv6")).isZero();

    // Still bad on a full sync: counted once; removed: the gauge drops, the counter stays.
    backend.sync(SyncRequest.full(TableChange.initial(bad)));
    assertThat(value(backend, KitBackend.SKIPPED_TOTAL, "IPv4")).isEqualTo(1);
    backend.sync(SyncRequest.partial(
        new TableChange(IpFamily.V4, bad, good, ImmutableSet.of(adversarial.key()))));
    assertThat(value(backend, KitBackend.SKIPPED, "IPv4")).isZero();
    assertThat(value(backend, KitBackend.SKIPPED_TOTAL, "IPv4")).isEqualTo(1);
  }

  private static UserspaceBackend failing(Node node, java.util.function.Predicate<ServiceEntry> fails) {
    return UserspaceBackend.node(
        FailingCompiler.failingOn(UserspaceCompiler.node(PORTS), fails), node.listeners, node.nft, () -> 0L);
  }

  private static double value(UserspaceBackend backend, String name, String family) {
    for (Metric m : backend.metrics()) {
      if (m.name().equals(name)) {
        for (Sample s : m.samples()) {
          if (family.equals(s.labels().get("ip_family"))) {
            return s.value();
          }
        }
      }
    }
    throw new AssertionError("no sample " + name + "{ip_family=" + family + "} in " + backend.metrics());
  }

  /** A node's fake kernel for the userspace backend: listeners recorded in memory, nftables faked. */
  static final class Node {
    final FakeNftKernel nft = new FakeNftKernel();
    final RecordingListeners listeners = new RecordingListeners();

    /**
     * The listeners and the redirect rules, each listener port written as the listener it
     * belongs to: which free port a listener got depends on the backend's history, not on the
     * table, so two kernels are equal when the same listeners are reached the same way.
     */
    String dump() {
      Map<Integer, String> names = listeners.portNames();
      Matcher m = LISTENER_PORT.matcher(nft.dump());
      StringBuilder rules = new StringBuilder();
      while (m.find()) {
        int port = Integer.parseInt(m.group(1));
        m.appendReplacement(rules, Matcher.quoteReplacement(
            port >= PORTS.first() && port <= PORTS.last() ? names.getOrDefault(port, "<no listener " + port + ">") : m.group(1)));
      }
      m.appendTail(rules);
      return listeners.dump() + "\n" + rules;
    }
  }

  /** Listeners that only record what is open, with which endpoints and affinity. */
  static final class RecordingListeners implements Listeners {
    private final Map<ListenerSpec, String> targets = new HashMap<>();

    @Override
    public synchronized void put(ListenerSpec spec, EndpointList endpoints, SessionAffinity affinity) {
      targets.put(spec, endpoints + " " + affinity);
    }

    @Override
    public synchronized void remove(ListenerSpec spec) {
      targets.remove(spec);
    }

    @Override
    public synchronized ImmutableSet<ListenerSpec> specs(IpFamily family) {
      return targets.keySet().stream().filter(s -> s.family() == family).collect(ImmutableSet.toImmutableSet());
    }

    @Override
    public synchronized void close() {
      targets.clear();
    }

    /** Each open listener's port, to the name of the listener (its service port and traffic). */
    synchronized Map<Integer, String> portNames() {
      Map<Integer, String> names = new HashMap<>();
      targets.keySet().forEach(spec -> names.put(spec.port(), name(spec)));
      return names;
    }

    /** One line per listener, without its port: what it serves and where it forwards. */
    synchronized String dump() {
      Map<String, String> lines = new TreeMap<>();
      targets.forEach((spec, target) -> lines.put(name(spec) + " on " + spec.bindAddress(), target));
      StringBuilder s = new StringBuilder();
      lines.forEach((spec, target) -> s.append(spec).append(" -> ").append(target).append('\n'));
      return s.toString();
    }

    private static String name(ListenerSpec spec) {
      return "<" + spec.key() + "/" + spec.key().protocol() + " " + spec.traffic() + ">";
    }
  }
}
