package dev.kubeproxy.ipvs.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Exclusions;
import dev.kubeproxy.model.conformance.LabCluster;
import dev.kubeproxy.model.conformance.LifecycleConformanceSuite;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The lifecycle conformance suite on the IPVS backend, in one IPVS VM for the class, plus
 * graceful termination on the real IP_VS (issue 10, item 2).
 */
@KernelTest
class IpvsLifecycleKernelTest extends LifecycleConformanceSuite {
  private static final String DRAIN_VIP = "10.96.2.90";
  private static final int DRAIN_PORT = 8090;

  @RegisterExtension static final IpvsVmLab vm = new IpvsVmLab();

  @Override
  protected BackendUnderTest backendUnderTest() {
    return IpvsVmLab.BACKEND;
  }

  @Override
  protected Exclusions exclusions() {
    return IpvsVmLab.EXCLUSIONS;
  }

  @Override
  protected NetnsLab.Builder labBuilder() {
    return vm.inVm(super.labBuilder());
  }

  /**
   * One long TCP connection (a line, 8 s of quiet, another line) lands on ep-a or ep-b; its
   * endpoint is removed by a partial sync while it is open. The removed real server drains at
   * weight 0: new connections reach only the other endpoint, and the open one still carries its
   * second line both ways. Deleting the real server at once (as without graceful termination,
   * with {@code expire_nodest_conn=1}) would cut it.
   */
  @Test
  @DisplayName("graceful termination: an open TCP connection outlives its endpoint's removal")
  void establishedConnectionSurvivesItsEndpointsRemoval() throws Exception {
    CommandRunner guest = vm.vm().runner();
    for (Pod pod : List.of(epA, epB)) {
      vm.vm().start(Command.of("ip", "netns", "exec", pod.netns(), "socat",
          "TCP-LISTEN:" + DRAIN_PORT + ",fork,reuseaddr", "SYSTEM:echo " + pod.name() + "; cat"));
    }
    cluster.apply(
        Service.builder(LabCluster.NAMESPACE, "drain").clusterIp(DRAIN_VIP)
            .port("tcp", "TCP", 80).build(),
        drainSlice(epA, epB));
    assertThat(probes(guest, 10)).isEqualTo(Set.of(epA.name(), epB.name()));

    String out = "/tmp/drain-" + System.nanoTime() + ".out";
    vm.vm().start(Command.of("ip", "netns", "exec", client.netns(), "sh", "-c",
        "(echo first; sleep 8; echo second) | socat -T 30 - TCP:" + DRAIN_VIP + ":80 > " + out
            + " 2>&1"));
    List<String> lines = awaitLines(guest, out, 2, 10);
    assertThat(lines).hasSizeGreaterThanOrEqualTo(2).element(1).isEqualTo("first");
    Pod held = lines.get(0).equals(epA.name()) ? epA : epB;
    Pod other = held == epA ? epB : epA;

    cluster.apply(drainSlice(other));

    String realServer = held.ipv4() + ":" + DRAIN_PORT;
    String listing = lab.exec(lab.nodeNs(), "ipvsadm", "-Ln", "-t", DRAIN_VIP + ":80").stdout();
    assertThat(listing).as("the removed endpoint drains at weight 0")
        .containsPattern("-> " + realServer.replace(".", "\\.") + "\\s+Masq\\s+0\\s+1\\s");
    assertThat(probes(guest, 10)).as("new connections").isEqualTo(Set.of(other.name()));
    assertThat(awaitLines(guest, out, 3, 20))
        .as("the open connection, after its endpoint's removal")
        .containsExactly(held.name(), "first", "second");
  }

  private static EndpointSlice drainSlice(Pod... pods) {
    EndpointSlice.Builder b = EndpointSlice.builder(LabCluster.NAMESPACE, "drain-ipv4")
        .serviceName("drain").addressType("IPv4").port("tcp", "TCP", DRAIN_PORT);
    for (Pod pod : pods) {
      b.endpoint(pod.ipv4().toString(), LabCluster.nodeOf(pod));
    }
    return b.build();
  }

  /** The servers that answered {@code count} short connections from the client pod. */
  private Set<String> probes(CommandRunner guest, int count) throws CommandException {
    Set<String> names = new TreeSet<>();
    for (int i = 0; i < count; i++) {
      String reply = guest.run(Command.of(
          List.of("ip", "netns", "exec", client.netns(), "socat", "-T", "5", "-",
              "TCP:" + DRAIN_VIP + ":80,connect-timeout=3"),
          "probe\n".getBytes(StandardCharsets.UTF_8))).stdout();
      names.add(reply.lines().findFirst().orElse("(no answer)"));
    }
    return names;
  }

  /** The lines of guest file {@code path} once it has {@code count}, or after {@code seconds}. */
  private static List<String> awaitLines(CommandRunner guest, String path, int count, int seconds)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<String> lines = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      lines = guest.run(Command.of("sh", "-c", "cat " + path + " 2>/dev/null; true"))
          .stdout().lines().toList();
      if (lines.size() >= count) {
        break;
      }
      Thread.sleep(250);
    }
    return lines;
  }
}
