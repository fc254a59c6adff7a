package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each structured operation says exactly what its tool line does, and counts as one. */
class IpvsTransactionTest {
  private static final VirtualServer WEB =
      VirtualServer.of(IpAddress.parse("10.96.0.10"), Protocol.TCP, 80);
  private static final VirtualServer DNS6 =
      VirtualServer.of(IpAddress.parse("fd00:96::53"), Protocol.UDP, 53);
  private static final VirtualServer DIAMETER =
      VirtualServer.of(IpAddress.parse("10.96.2.2"), Protocol.SCTP, 3868);

  @Test
  void virtualServiceAndRealServerLines() {
    RealServer pod = new RealServer(WEB, IpAddress.parse("10.244.1.2"), 8080);
    RealServer pod6 = new RealServer(DNS6, IpAddress.parse("fd00:244::1:7"), 53);
    assertThat(
            List.of(
                    new IpvsOp.AddService(WEB, new ServiceConfig("rr", 0, "")),
                    new IpvsOp.EditService(WEB, new ServiceConfig("rr", 10800, "")),
                    new IpvsOp.AddService(DIAMETER, new ServiceConfig("mh", 0, "mh-port")),
                    new IpvsOp.DeleteService(DNS6),
                    new IpvsOp.AddServer(pod, 1),
                    new IpvsOp.EditServer(pod, 0),
                    new IpvsOp.DeleteServer(pod),
                    new IpvsOp.AddServer(pod6, 1))
                .stream()
                .map(op -> String.join(" ", op.args()))
                .toList())
        .containsExactly(
            "-A -t 10.96.0.10:80 -s rr",
            "-E -t 10.96.0.10:80 -s rr -p 10800",
            "-A --sctp-service 10.96.2.2:3868 -s mh -b mh-port",
            "-D -u [fd00:96::53]:53",
            "-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1",
            "-e -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 0",
            "-d -t 10.96.0.10:80 -r 10.244.1.2:8080",
            "-a -u [fd00:96::53]:53 -r [fd00:244::1:7]:53 -m -w 1");
  }

  @Test
  void ipsetAndAddressLines() {
    IpsetEntry member = new IpsetEntry("KUBE-CLUSTER-IP", "10.96.0.10,tcp:80");
    assertThat(
            List.of(
                    new IpsetOp.Create(IpvsNames.def(IpvsNames.CLUSTER_IP, IpFamily.V4)),
                    new IpsetOp.Create(IpvsNames.def(IpvsNames.NODE_PORT_TCP, IpFamily.V6)),
                    new IpsetOp.Add(member),
                    new IpsetOp.Del(member),
                    new IpsetOp.Flush("KUBE-CLUSTER-IP"),
                    new IpsetOp.Destroy("KUBE-CLUSTER-IP"))
                .stream()
                .map(IpsetOp::line)
                .toList())
        .containsExactly(
            "create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536",
            "create KUBE-6-NODE-PORT-TCP bitmap:port range 0-65535",
            "add KUBE-CLUSTER-IP 10.96.0.10,tcp:80",
            "del KUBE-CLUSTER-IP 10.96.0.10,tcp:80",
            "flush KUBE-CLUSTER-IP",
            "destroy KUBE-CLUSTER-IP");
    assertThat(AddressOp.add(IpAddress.parse("10.96.0.10")).line())
        .isEqualTo("addr add 10.96.0.10/32 dev kube-ipvs0");
    assertThat(AddressOp.delete(IpAddress.parse("fd00:96::10")).line())
        .isEqualTo("addr del fd00:96::10/128 dev kube-ipvs0");
    assertThat(AddressOp.add(IpAddress.parse("fd00:96::10")).line())
        .as("IPv6 service addresses are never picked as a source")
        .isEqualTo("addr add fd00:96::10/128 dev kube-ipvs0 nodad preferred_lft 0");
  }

  @Test
  void ipv6SetNamesArePrefixedAndCutAt31Characters() {
    assertThat(IpvsNames.set(IpvsNames.CLUSTER_IP, IpFamily.V6)).isEqualTo("KUBE-6-CLUSTER-IP");
    assertThat(IpvsNames.set(IpvsNames.LOAD_BALANCER_SOURCE_CIDR, IpFamily.V6))
        .isEqualTo("KUBE-6-LOAD-BALANCER-SOURCE-CID");
    for (IpFamily family : IpFamily.values()) {
      assertThat(IpvsNames.sets(family)).extracting(IpsetDef::name).doesNotHaveDuplicates();
    }
  }

  @Test
  void sizeCountsEveryOperation() {
    IpvsTransaction t =
        new IpvsTransaction(
            IpFamily.V4,
            ImmutableList.of(new IpsetOp.Flush("KUBE-CLUSTER-IP")),
            true,
            ImmutableList.of(AddressOp.add(WEB.address())),
            ImmutableList.of(new IpvsOp.DeleteService(WEB)),
            ImmutableList.of(IpvsGlue.outFilter(List.of())),
            IpvsGlue.jumps(),
            ImmutableMap.of("net.ipv4.vs.conntrack", "1"));
    assertThat(t.size()).isEqualTo(1 + 1 + 1 + 1 + 1 + 9 + 1);
    assertThat(IpvsTransaction.empty(IpFamily.V6).isEmpty()).isTrue();
  }

  @Test
  void valuesAreCheckedAtTheBoundary() {
    assertThatThrownBy(() -> new ServiceConfig("rr; reboot", 0, ""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RealServer(WEB, IpAddress.parse("fd00::1"), 80))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new IpsetEntry("KUBE-CLUSTER-IP", "1.2.3.4 -exist"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IpvsConfig.withScheduler("fifo"))
        .hasMessageContaining("unknown IPVS scheduler 'fifo'");
  }
}
