package dev.kubeproxy.userspace;

import static dev.kubeproxy.model.conformance.LabCluster.PORT;
import static dev.kubeproxy.model.conformance.LabCluster.names;
import static dev.kubeproxy.model.conformance.LabCluster.servers;
import static dev.kubeproxy.model.conformance.LabCluster.service;
import static dev.kubeproxy.model.conformance.LabCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Reply;
import dev.kubeproxy.api.testing.lab.Reply.Outcome;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.LabCluster;
import dev.kubeproxy.model.conformance.LabSuite;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Userspace node mode's own kernel tests, for what the conformance suites' SOURCE_PRESERVED
 * exclusion hides: IPv6, and eTP=Local (external traffic to local endpoints only, masqueraded
 * as everything here is, and dropped when none is local).
 */
@KernelTest
class UserspaceNodeKernelTest extends LabSuite {
  private static final Duration DROP_WAIT = Duration.ofSeconds(2);
  @RegisterExtension static final UserspaceNodeAgent agent = new UserspaceNodeAgent();

  @Override
  protected BackendUnderTest backendUnderTest() {
    return agent.underTest(lab);
  }

  @Test
  @DisplayName("IPv6 ClusterIP: TCP and UDP from a pod reach every endpoint, which sees the node's IPv6"
      + " address; an unknown port of the ClusterIP is refused")
  void ipv6ClusterIp() throws Exception {
    cluster.apply(service("web6", "10.96.0.70").clusterIp("fd00:96::70").build(),
        slice("web6", IpFamily.V6, epA, epB, epR));
    IpAddress vip = IpAddress.parse("fd00:96::70");

    List<Reply> tcp = lab.tcpRequests(client.netns(), null, vip, PORT, 30, ANSWER);
    List<Reply> udp = lab.udpRequests(client.netns(), null, 0, vip, PORT, 30, ANSWER);
    Reply unknown = lab.tcpRequest(client.netns(), vip, 81, ANSWER);

    assertThat(servers(tcp)).as("%s", tcp).isEqualTo(names(epA, epB, epR));
    assertThat(servers(udp)).as("%s", udp).isEqualTo(names(epA, epB, epR));
    assertThat(tcp).allMatch(r -> r.seenSource().equals(NetnsLab.nodeIp(IpFamily.V6)));
    assertThat(unknown.outcome()).as("%s", unknown).isEqualTo(Outcome.REFUSED);
  }

  @Test
  @DisplayName("eTP=Local: a NodePort from outside reaches local endpoints only; with none local it is"
      + " dropped while the ClusterIP still reaches the remote endpoint")
  void externalLocal() throws Exception {
    cluster.apply(
        Service.builder(LabCluster.NAMESPACE, "local").type("NodePort").clusterIp("10.96.0.80")
            .externalTrafficPolicy("Local").port("tcp", "TCP", PORT, 30081).build(),
        slice("local", IpFamily.V4, epA, epB, epR),
        Service.builder(LabCluster.NAMESPACE, "remote").type("NodePort").clusterIp("10.96.0.81")
            .externalTrafficPolicy("Local").port("tcp", "TCP", PORT, 30082).build(),
        slice("remote", IpFamily.V4, epR));

    List<Reply> local = lab.tcpRequests(lab.outsideNs(), null, NetnsLab.NODE_IP, 30081, 30, ANSWER);
    Reply remote = lab.tcpRequest(lab.outsideNs(), NetnsLab.NODE_IP, 30082, DROP_WAIT);
    List<Reply> clusterIp =
        lab.tcpRequests(client.netns(), null, IpAddress.parse("10.96.0.81"), PORT, 5, ANSWER);

    assertThat(servers(local)).as("%s", local).isEqualTo(names(epA, epB));
    assertThat(local).allMatch(r -> r.seenSource().equals(NetnsLab.NODE_IP));
    assertThat(remote.outcome()).as("%s", remote).isEqualTo(Outcome.TIMEOUT);
    assertThat(servers(clusterIp)).as("%s", clusterIp).isEqualTo(names(epR));
  }
}
