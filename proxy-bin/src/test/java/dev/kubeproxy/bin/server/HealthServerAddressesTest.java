package dev.kubeproxy.bin.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.PersistentMap;
import dev.kubeproxy.bin.Main;
import dev.kubeproxy.bin.cli.KubeProxyCommand;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.ProxyConfig;
import dev.kubeproxy.model.TableBuilder;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Where the service health servers listen: where the tables say NodePorts answer. */
class HealthServerAddressesTest {
  private static final List<IpAddress> LOCAL =
      List.of(ip("127.0.0.1"), ip("192.0.2.1"), ip("192.0.2.11"), ip("198.51.100.5"), ip("fd00::1"));

  private static IpAddress ip(String text) {
    return IpAddress.parse(text);
  }

  /** The resolved flags' IPv4 table for a node whose Node object has {@code nodeAddresses}. */
  private static ForwardingTable table(ProxyConfig config, String... nodeAddresses) {
    Node node = nodeAddresses.length == 0 ? null : new Node(config.nodeName(),
        ImmutableList.copyOf(List.of(nodeAddresses).stream().map(IpAddress::parse).toList()),
        ImmutableMap.of(), ImmutableList.of());
    return TableBuilder.build(IpFamily.V4,
        new ClusterSnapshot(PersistentMap.empty(), PersistentMap.empty(), node), config);
  }

  /** The proxy settings {@code args} resolve to, as the binary resolves them. */
  private static ProxyConfig flags(String... args) {
    KubeProxyCommand command = new KubeProxyCommand();
    command.hostname = () -> "node-1";
    Main.commandLine(command).parseArgs(args);
    return command.effectiveConfig().proxy();
  }

  @Test
  @DisplayName("service health servers listen on the local addresses inside --nodeport-addresses, loopback excluded")
  void cidrsSelectLocalAddresses() {
    ProxyConfig config = flags("--nodeport-addresses", "192.0.2.0/24,127.0.0.0/8");
    assertThat(HealthServerAddresses.bindAddresses(List.of(table(config)), LOCAL))
        .containsExactly(ip("192.0.2.1"), ip("192.0.2.11"));
  }

  @Test
  @DisplayName("'primary' with --node-ip and no Node object: the node IP")
  void primaryIsTheNodeIp() {
    ProxyConfig config = flags("--nodeport-addresses", "primary", "--node-ip", "192.0.2.1");
    assertThat(HealthServerAddresses.bindAddresses(List.of(table(config)), LOCAL))
        .containsExactly(ip("192.0.2.1"));
  }

  @Test
  @DisplayName("'primary' without --node-ip: exactly the Node object's primary IP, where NodePorts answer, not every address")
  void primaryWithoutNodeIpIsTheNodeObjectsIp() {
    ProxyConfig config = flags("--nodeport-addresses", "primary");
    ForwardingTable table = table(config, "192.0.2.11", "192.0.2.1");
    assertThat(table.nodePortAddresses()).extracting(Object::toString).containsExactly("192.0.2.11/32");
    assertThat(HealthServerAddresses.bindAddresses(List.of(table), LOCAL))
        .containsExactly(ip("192.0.2.11"));
  }

  @Test
  @DisplayName("no --nodeport-addresses (or no table yet): every address")
  void unsetMeansEveryAddress() {
    assertThat(HealthServerAddresses.bindAddresses(List.of(table(flags())), LOCAL))
        .containsExactly(ip("0.0.0.0"));
    assertThat(HealthServerAddresses.bindAddresses(List.of(), LOCAL)).containsExactly(ip("0.0.0.0"));
  }
}
