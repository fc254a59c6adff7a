package dev.kubeproxy.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import org.junit.jupiter.api.Test;

/**
 * Localhost NodePorts as upstream's {@code iptables.localhostNodePorts}: on by default for IPv4
 * (route_localnet, the KUBE-FIREWALL martian guard, loopback destinations accepted), never for
 * IPv6, and nothing of it when switched off.
 */
class IptLocalhostNodePortsTest {
  private static String full(IptCompiler compiler, IpFamily family) {
    return new IptRenderer().render(
        compiler.full(SampleTables.allFeatures(family)).transaction());
  }

  @Test
  void onByDefaultForIpv4() {
    String text = full(new IptCompiler(), IpFamily.V4);
    assertThat(text).contains(":KUBE-FIREWALL - [0:0]")
        .contains("-I INPUT 1 -j KUBE-FIREWALL\n")
        .contains("-I OUTPUT 1 -j KUBE-FIREWALL\n")
        .contains("-A KUBE-FIREWALL -m comment --comment \"block incoming localnet connections\""
            + " -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT"
            + " -j DROP")
        .doesNotContain("! -d 127.0.0.0/8 -j KUBE-NODEPORTS");
  }

  @Test
  void neverForIpv6() {
    String text = full(new IptCompiler(true), IpFamily.V6);
    assertThat(text).doesNotContain("KUBE-FIREWALL").contains("! -d ::1/128 -j KUBE-NODEPORTS");
  }

  @Test
  void switchedOffLeavesLoopbackOut() {
    String text = full(new IptCompiler(false), IpFamily.V4);
    assertThat(text).doesNotContain("KUBE-FIREWALL").contains("! -d 127.0.0.0/8 -j KUBE-NODEPORTS");
  }

  @Test
  void backendSetsRouteLocalnetOnlyWhenUsed() throws Exception {
    ForwardingTable v4 = SampleTables.allFeatures(IpFamily.V4);
    FakeIptKernel off = new FakeIptKernel();
    new IptablesBackend(off, System::nanoTime, false).sync(SyncRequest.full(TableChange.initial(v4)));
    assertThat(off.routeLocalnet()).isFalse();
    FakeIptKernel v6Only = new FakeIptKernel();
    new IptablesBackend(v6Only).sync(
        SyncRequest.full(TableChange.initial(SampleTables.allFeatures(IpFamily.V6))));
    assertThat(v6Only.routeLocalnet()).isFalse();
    FakeIptKernel on = new FakeIptKernel();
    new IptablesBackend(on).sync(SyncRequest.full(TableChange.initial(v4)));
    assertThat(on.routeLocalnet()).isTrue();
  }

  @Test
  void kubeletsJumpIsAdoptedNotDuplicated() throws Exception {
    FakeIptKernel kernel = new FakeIptKernel();
    // kubelet was first: its chain and jump exist.
    kernel.apply(IpFamily.V4, IptTransaction.builder()
        .add(IptTable.FILTER, new IptOp.DeclareChain(IptNames.KUBELET_FIREWALL)).build());
    kernel.addForeignRule(IpFamily.V4, IptTable.FILTER, IptRule.of("INPUT", "-j", "KUBE-FIREWALL"));
    ForwardingTable v4 = SampleTables.allFeatures(IpFamily.V4);
    new IptablesBackend(kernel).sync(SyncRequest.full(TableChange.initial(v4)));
    new IptablesBackend(kernel).sync(SyncRequest.full(TableChange.initial(v4)));
    assertThat(kernel.chain(IpFamily.V4, IptTable.FILTER, "INPUT"))
        .filteredOn(r -> IptNames.KUBELET_FIREWALL.equals(r.target())).hasSize(1);
    assertThat(kernel.chain(IpFamily.V4, IptTable.FILTER, "OUTPUT"))
        .filteredOn(r -> IptNames.KUBELET_FIREWALL.equals(r.target())).hasSize(1);
    assertThat(kernel.chain(IpFamily.V4, IptTable.FILTER, IptNames.KUBELET_FIREWALL))
        .containsExactly(IptSkeleton.MARTIAN_GUARD);
  }
}
