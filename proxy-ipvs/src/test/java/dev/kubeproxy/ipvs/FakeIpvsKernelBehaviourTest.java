package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.backend.kit.KernelException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fake refuses what the tools would, and a refused transaction changes nothing. */
class FakeIpvsKernelBehaviourTest {
  private static final VirtualServer WEB =
      VirtualServer.of(IpAddress.parse("10.96.0.10"), Protocol.TCP, 80);
  private static final RealServer POD = new RealServer(WEB, IpAddress.parse("10.244.1.2"), 8080);
  private static final ServiceConfig RR = new ServiceConfig("rr", 0, "");

  private static IpvsTransaction tx(
      List<IpsetOp> ipsets,
      boolean device,
      List<AddressOp> addresses,
      List<IpvsOp> ipvs,
      List<GlueChain> glue) {
    return new IpvsTransaction(
        IpFamily.V4,
        ImmutableList.copyOf(ipsets),
        device,
        ImmutableList.copyOf(addresses),
        ImmutableList.copyOf(ipvs),
        ImmutableList.copyOf(glue),
        ImmutableList.of(),
        com.google.common.collect.ImmutableMap.of());
  }

  private static IpvsTransaction ipvs(IpvsOp... ops) {
    return tx(List.of(), false, List.of(), List.of(ops), List.of());
  }

  private static IpvsTransaction ipsets(IpsetOp... ops) {
    return tx(List.of(ops), false, List.of(), List.of(), List.of());
  }

  private static void refuses(FakeIpvsKernel kernel, IpvsTransaction t, String message) {
    String before = kernel.dump();
    assertThatThrownBy(() -> kernel.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, t)))
        .isInstanceOf(KernelException.class)
        .hasMessageContaining(message);
    assertThat(kernel.dump()).isEqualTo(before);
  }

  @Test
  void virtualAndRealServers() throws Exception {
    FakeIpvsKernel k = new FakeIpvsKernel();
    refuses(k, ipvs(new IpvsOp.AddServer(POD, 1)), "No such service");
    k.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, ipvs(new IpvsOp.AddService(WEB, RR), new IpvsOp.AddServer(POD, 1))));
    refuses(k, ipvs(new IpvsOp.AddService(WEB, RR)), "Service already exists");
    refuses(k, ipvs(new IpvsOp.AddServer(POD, 1)), "Destination already exists");
    RealServer other = new RealServer(WEB, IpAddress.parse("10.244.9.9"), 8080);
    refuses(k, ipvs(new IpvsOp.EditServer(other, 0)), "No such destination");
    // A failing last operation undoes the earlier ones of the same transaction.
    refuses(
        k,
        ipvs(new IpvsOp.EditServer(POD, 0), new IpvsOp.DeleteServer(other)),
        "No such destination");
    assertThat(k.servers(IpFamily.V4)).containsEntry(POD, 1);
    k.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, ipvs(new IpvsOp.DeleteService(WEB))));
    assertThat(k.servers(IpFamily.V4)).as("deleting a service deletes its servers").isEmpty();
    refuses(k, ipvs(new IpvsOp.DeleteService(WEB)), "No such service");
  }

  @Test
  void ipsets() throws Exception {
    FakeIpvsKernel k = new FakeIpvsKernel();
    IpsetEntry member = new IpsetEntry("KUBE-CLUSTER-IP", "10.96.0.10,tcp:80");
    refuses(k, ipsets(new IpsetOp.Add(member)), "does not exist");
    k.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, 
            ipsets(
                new IpsetOp.Create(IpvsNames.def(IpvsNames.CLUSTER_IP, IpFamily.V4)),
                new IpsetOp.Create(IpvsNames.def(IpvsNames.NODE_PORT_TCP, IpFamily.V4)),
                new IpsetOp.Add(member))));
    refuses(k, ipsets(new IpsetOp.Add(member)), "already added");
    refuses(
        k,
        ipsets(new IpsetOp.Del(new IpsetEntry("KUBE-CLUSTER-IP", "10.96.0.11,tcp:80"))),
        "is not in the set");
    refuses(
        k,
        ipsets(new IpsetOp.Add(new IpsetEntry("KUBE-CLUSTER-IP", "fd00::1,tcp:80"))),
        "is not a member of a hash:ip,port");
    refuses(
        k,
        ipsets(new IpsetOp.Add(new IpsetEntry("KUBE-NODE-PORT-TCP", "10.0.0.1,tcp:80"))),
        "is not a member of a bitmap:port");
    refuses(
        k,
        ipsets(new IpsetOp.Create(new IpsetDef("KUBE-CLUSTER-IP", "hash:ip", IpFamily.V4, ""))),
        "exists with another type");
    k.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, ipsets(new IpsetOp.Flush("KUBE-CLUSTER-IP"))));
    assertThat(k.members("KUBE-CLUSTER-IP")).isEmpty();
    k.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, ipsets(new IpsetOp.Destroy("KUBE-CLUSTER-IP"))));
    assertThat(k.hasSet("KUBE-CLUSTER-IP")).isFalse();
  }

  @Test
  void addressesNeedTheDevice() throws Exception {
    FakeIpvsKernel k = new FakeIpvsKernel();
    AddressOp add = AddressOp.add(WEB.address());
    refuses(k, tx(List.of(), false, List.of(add), List.of(), List.of()), "does not exist");
    k.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, tx(List.of(), true, List.of(add), List.of(), List.of())));
    assertThat(k.addresses()).containsExactly(WEB.address());
    refuses(k, tx(List.of(), false, List.of(add), List.of(), List.of()), "File exists");
    refuses(
        k,
        tx(List.of(), false, List.of(AddressOp.delete(POD.address())), List.of(), List.of()),
        "Cannot assign requested address");
  }

  @Test
  void glueMayNameOnlyExistingSetsAndChainsAndSetsInUseStay() throws Exception {
    FakeIpvsKernel k = new FakeIpvsKernel();
    GlueChain usesSet =
        new GlueChain(
            "filter",
            IpvsNames.IPVS_FILTER,
            ImmutableList.of(
                ImmutableList.of(
                    "-m", "set", "--match-set", "KUBE-CLUSTER-IP", "dst,dst", "-j", "RETURN")));
    refuses(
        k,
        tx(List.of(), false, List.of(), List.of(), List.of(usesSet)),
        "Set KUBE-CLUSTER-IP doesn't exist");
    GlueChain jumps =
        new GlueChain(
            "nat",
            IpvsNames.SERVICES,
            ImmutableList.of(ImmutableList.of("-j", IpvsNames.MARK_MASQ)));
    refuses(k, tx(List.of(), false, List.of(), List.of(), List.of(jumps)), "Couldn't load target");
    k.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, 
            tx(
                List.of(new IpsetOp.Create(IpvsNames.def(IpvsNames.CLUSTER_IP, IpFamily.V4))),
                false,
                List.of(),
                List.of(),
                List.of(usesSet))));
    refuses(k, ipsets(new IpsetOp.Destroy("KUBE-CLUSTER-IP")), "in use");
  }

  @Test
  void readGivesBackWhatWasApplied() throws Exception {
    FakeIpvsKernel k = new FakeIpvsKernel();
    k.apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, 
            tx(
                List.of(
                    new IpsetOp.Create(IpvsNames.def(IpvsNames.CLUSTER_IP, IpFamily.V4)),
                    new IpsetOp.Add(new IpsetEntry("KUBE-CLUSTER-IP", "10.96.0.10,tcp:80"))),
                true,
                List.of(AddressOp.add(WEB.address())),
                List.of(new IpvsOp.AddService(WEB, RR), new IpvsOp.AddServer(POD, 1)),
                List.of())));
    IpvsExisting v4 = k.read(IpFamily.V4);
    assertThat(v4.device()).isTrue();
    assertThat(v4.sets()).containsExactly("KUBE-CLUSTER-IP");
    assertThat(v4.members())
        .containsExactly(new IpsetEntry("KUBE-CLUSTER-IP", "10.96.0.10,tcp:80"));
    assertThat(v4.addresses()).containsExactly(WEB.address());
    assertThat(v4.services()).containsEntry(WEB, RR);
    assertThat(v4.servers()).containsEntry(POD, 1);
    assertThat(k.read(IpFamily.V6).services()).isEmpty();
    k.setConnections(POD, 2);
    assertThat(k.connections(IpFamily.V4, List.of(POD))).containsEntry(POD, 2);
    k.cleanup();
    assertThat(k.read(IpFamily.V4)).isEqualTo(IpvsExisting.nothing(IpFamily.V4));
  }
}
