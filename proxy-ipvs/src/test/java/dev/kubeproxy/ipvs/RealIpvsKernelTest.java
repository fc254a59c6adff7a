package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.backend.kit.KernelException;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.testing.SampleTables;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The real kernel runs the tools in order with the rendered payloads on stdin, and parses what the
 * tools list back into what a full compile replaces (no tool runs: a recording runner).
 */
class RealIpvsKernelTest {
  /** Records every command and answers through {@code answers} (null: succeed with no output). */
  private static final class Recorder implements CommandRunner {
    final List<Command> commands = new ArrayList<>();
    final Function<Command, CommandResult> answers;

    Recorder(Function<Command, CommandResult> answers) {
      this.answers = answers;
    }

    @Override
    public CommandResult run(Command command) throws CommandException {
      commands.add(command);
      CommandResult r = answers.apply(command);
      if (r == null) {
        return new CommandResult(0, "", "");
      }
      if (r.exitCode() != 0) {
        throw new CommandException(command, r.exitCode(), r.stderr());
      }
      return r;
    }

    List<String> lines() {
      return commands.stream().map(Command::toString).toList();
    }
  }

  @Test
  void applyRunsIpsetThenIpThenIpvsadmThenIptablesRestoreWithTheRenderedInput() throws Exception {
    Recorder runner = new Recorder(c -> null);
    IpvsCompiler compiler = new IpvsCompiler(IpvsConfig.DEFAULT, RealServerConnections.NONE);
    Map<IpFamily, IpvsTransaction> transactions =
        ImmutableMap.of(
            IpFamily.V4,
            compiler
                .full(
                    SampleTables.allFeatures(IpFamily.V4),
                    IpvsExisting.nothing(IpFamily.V4),
                    null,
                    0)
                .transaction(),
            IpFamily.V6,
            compiler
                .full(
                    SampleTables.allFeatures(IpFamily.V6),
                    IpvsExisting.nothing(IpFamily.V6),
                    null,
                    0)
                .transaction());
    long bytes = new RealIpvsKernel(runner).apply(transactions);
    assertThat(runner.lines())
        .containsExactly(
            "ipset -exist restore",
            "ip -batch -",
            "ipvsadm -R",
            "sysctl -e -w net.ipv4.vs.conntrack=1 net.ipv4.vs.expire_nodest_conn=1"
                + " net.ipv4.vs.expire_quiescent_template=1 net.ipv4.ip_forward=1",
            "iptables-restore --noflush",
            "ip6tables-restore --noflush");
    IpvsRenderer renderer = new IpvsRenderer();
    assertThat(new String(runner.commands.get(2).stdin(), StandardCharsets.UTF_8))
        .isEqualTo(renderer.ipvs(List.copyOf(transactions.values())));
    assertThat(new String(runner.commands.get(5).stdin(), StandardCharsets.UTF_8))
        .isEqualTo(renderer.glue(transactions.get(IpFamily.V6)));
    assertThat(bytes).isEqualTo(runner.commands.stream().mapToLong(c -> c.stdin().length).sum());
  }

  @Test
  void toolsWithNothingToDoDoNotRunAndAFailureCarriesStderr() throws Exception {
    VirtualServer web = VirtualServer.of(IpAddress.parse("10.96.0.10"), Protocol.TCP, 80);
    IpvsTransaction onlyIpvs =
        new IpvsTransaction(
            IpFamily.V4,
            com.google.common.collect.ImmutableList.of(),
            false,
            com.google.common.collect.ImmutableList.of(),
            com.google.common.collect.ImmutableList.of(new IpvsOp.DeleteService(web)),
            com.google.common.collect.ImmutableList.of(),
            com.google.common.collect.ImmutableList.of(),
            com.google.common.collect.ImmutableMap.of());
    Recorder ok = new Recorder(c -> null);
    new RealIpvsKernel(ok).apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, onlyIpvs));
    assertThat(ok.lines()).containsExactly("ipvsadm -R");
    Recorder failing = new Recorder(c -> new CommandResult(1, "", "Memory allocation problem"));
    assertThatThrownBy(() -> new RealIpvsKernel(failing).apply(java.util.Map.of(dev.kubeproxy.api.IpFamily.V4, onlyIpvs)))
        .isInstanceOf(KernelException.class)
        .hasMessageContaining("ipvsadm -R failed")
        .hasMessageContaining("Memory allocation problem");
  }

  @Test
  void readParsesTheListingsOfTheFamily() throws Exception {
    String ipvsSave =
        String.join(
            "\n",
            "-A -t 10.96.0.10:80 -s rr",
            "-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1",
            "-a -t 10.96.0.10:80 -r 10.244.2.3:8080 -m -w 0",
            "-A -u 10.96.0.53:53 -s wlc -p 600",
            "-A --sctp-service 10.96.2.2:3868 -s mh -b mh-port",
            "-A -t [fd00:96::10]:80 -s rr",
            "-A -f 1 -s rr",
            "");
    String ipsetSave =
        String.join(
            "\n",
            "create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize"
                + " 12 initval 0x6a2b",
            "add KUBE-CLUSTER-IP 10.96.0.10,tcp:80",
            "create KUBE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536",
            "add KUBE-6-CLUSTER-IP fd00:96::10,tcp:80",
            "create OTHER hash:ip family inet",
            "add OTHER 1.2.3.4",
            "");
    String addrs =
        "7: kube-ipvs0    inet 10.96.0.10/32 scope global kube-ipvs0\\       valid_lft forever"
            + " preferred_lft forever\n"
            + "7: kube-ipvs0    inet6 fd00:96::10/128 scope global \\       valid_lft forever"
            + " preferred_lft forever\n";
    Recorder runner =
        new Recorder(
            c -> {
              String s = c.toString();
              if (s.equals("ipvsadm -Sn")) {
                return new CommandResult(0, ipvsSave, "");
              } else if (s.equals("ipset save")) {
                return new CommandResult(0, ipsetSave, "");
              } else if (s.startsWith("ip -o addr")) {
                return new CommandResult(0, addrs, "");
              } else if (s.equals("iptables -w -t nat -S PREROUTING")) {
                return new CommandResult(
                    0,
                    "-P PREROUTING ACCEPT\n-A PREROUTING -m comment --comment"
                        + " \"kubernetes service portals\" -j KUBE-SERVICES\n",
                    "");
              }
              return new CommandResult(0, "", "");
            });
    IpvsExisting v4 = new RealIpvsKernel(runner).read(IpFamily.V4);
    VirtualServer web = VirtualServer.of(IpAddress.parse("10.96.0.10"), Protocol.TCP, 80);
    assertThat(v4.services())
        .containsOnlyKeys(
            web,
            VirtualServer.of(IpAddress.parse("10.96.0.53"), Protocol.UDP, 53),
            VirtualServer.of(IpAddress.parse("10.96.2.2"), Protocol.SCTP, 3868));
    assertThat(v4.services().get(VirtualServer.of(IpAddress.parse("10.96.0.53"), Protocol.UDP, 53)))
        .isEqualTo(new ServiceConfig("wlc", 600, ""));
    assertThat(
            v4.services().get(VirtualServer.of(IpAddress.parse("10.96.2.2"), Protocol.SCTP, 3868)))
        .isEqualTo(new ServiceConfig("mh", 0, "mh-port"));
    assertThat(v4.servers())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                new RealServer(web, IpAddress.parse("10.244.1.2"), 8080), 1,
                new RealServer(web, IpAddress.parse("10.244.2.3"), 8080), 0));
    assertThat(v4.sets()).containsExactly("KUBE-CLUSTER-IP");
    assertThat(v4.members())
        .containsExactly(new IpsetEntry("KUBE-CLUSTER-IP", "10.96.0.10,tcp:80"));
    assertThat(v4.device()).isTrue();
    assertThat(v4.addresses()).containsExactly(IpAddress.parse("10.96.0.10"));
    assertThat(v4.jumps()).extracting(GlueJump::chain).containsExactly("PREROUTING");
    IpvsExisting v6 = new RealIpvsKernel(runner).read(IpFamily.V6);
    assertThat(v6.services())
        .containsOnlyKeys(VirtualServer.of(IpAddress.parse("fd00:96::10"), Protocol.TCP, 80));
    assertThat(v6.addresses()).containsExactly(IpAddress.parse("fd00:96::10"));
  }

  @Test
  void aMissingDeviceReadsAsAbsent() throws Exception {
    Recorder runner =
        new Recorder(
            c ->
                c.toString().startsWith("ip -o addr")
                    ? new CommandResult(1, "", "Device \"kube-ipvs0\" does not exist.\n")
                    : null);
    IpvsExisting v4 = new RealIpvsKernel(runner).read(IpFamily.V4);
    assertThat(v4).isEqualTo(IpvsExisting.nothing(IpFamily.V4));
  }

  @Test
  void connectionsComeFromIpvsadmList() {
    String listing =
        String.join(
            "\n",
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
            "TCP  10.96.0.10:80 rr",
            "  -> 10.244.1.2:8080              Masq    1      0          0",
            "  -> 10.244.2.3:8080              Masq    0      2          1",
            "UDP  [fd00:96::53]:53 rr",
            "  -> [fd00:244::1:7]:53           Masq    1      0          4",
            "");
    Recorder runner = new Recorder(c -> new CommandResult(0, listing, ""));
    VirtualServer web = VirtualServer.of(IpAddress.parse("10.96.0.10"), Protocol.TCP, 80);
    RealServer draining = new RealServer(web, IpAddress.parse("10.244.2.3"), 8080);
    RealServer gone = new RealServer(web, IpAddress.parse("10.244.9.9"), 8080);
    assertThat(new RealIpvsKernel(runner).connections(IpFamily.V4, List.of(draining, gone)))
        .containsExactly(Map.entry(draining, 3));
    assertThat(runner.lines()).containsExactly("ipvsadm -Ln");
    VirtualServer dns = VirtualServer.of(IpAddress.parse("fd00:96::53"), Protocol.UDP, 53);
    assertThat(RealIpvsKernel.parseConnections(listing))
        .containsEntry(new RealServer(dns, IpAddress.parse("fd00:244::1:7"), 53), 4);
  }

  @Test
  void cleanupGoesOnPastWhatIsAlreadyGoneAndDestroysSetsLast() throws Exception {
    Recorder runner =
        new Recorder(c -> new CommandResult(1, "", "No chain/target/match by that name."));
    new RealIpvsKernel(runner).cleanup();
    List<String> lines = runner.lines();
    assertThat(lines)
        .contains(
            "ipvsadm -C",
            "ip link del kube-ipvs0",
            "iptables -w -t nat -D PREROUTING -m comment --comment kubernetes service portals -j"
                + " KUBE-SERVICES",
            "ip6tables -w -t filter -X KUBE-IPVS-OUT-FILTER",
            "ipset destroy KUBE-6-IPVS-IPS");
    assertThat(lines.indexOf("ipset destroy KUBE-CLUSTER-IP"))
        .isGreaterThan(lines.indexOf("ip6tables -w -t filter -X KUBE-IPVS-FILTER"));
  }

  @Test
  void cleanupListsFirstAndRemovesWhatExistsInOneRestorePerTool() throws Exception {
    String save =
        String.join(
            "\n",
            "# Generated by iptables-nft-save",
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":KUBE-FORWARD - [0:0]",
            ":SOMEONE-ELSE - [0:0]",
            "-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD",
            "-A INPUT -j SOMEONE-ELSE",
            "COMMIT",
            "*nat",
            ":KUBE-SERVICES - [0:0]",
            "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
            "-A KUBE-SERVICES -j RETURN",
            "COMMIT",
            "");
    Recorder runner =
        new Recorder(
            c ->
                switch (c.argv().get(0)) {
                  case "iptables-save" -> new CommandResult(0, save, "");
                  case "ipset" ->
                      c.argv().get(1).equals("list")
                          ? new CommandResult(0, "KUBE-CLUSTER-IP\nOTHER\nKUBE-6-IPVS-IPS\n", "")
                          : null;
                  default -> null;
                });

    new RealIpvsKernel(runner).cleanup();

    assertThat(runner.lines())
        .containsExactly(
            "iptables-save",
            "iptables-restore --noflush",
            "ip6tables-save",
            "ipvsadm -C",
            "ip link del kube-ipvs0",
            "ipset list -n",
            "ipset restore");
    assertThat(new String(runner.commands.get(1).stdin(), StandardCharsets.UTF_8))
        .isEqualTo(
            String.join(
                "\n",
                "*nat",
                ":KUBE-SERVICES - [0:0]",
                "-D PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
                "-X KUBE-SERVICES",
                "COMMIT",
                "*filter",
                ":KUBE-FORWARD - [0:0]",
                "-D FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD",
                "-X KUBE-FORWARD",
                "COMMIT",
                ""));
    assertThat(new String(runner.commands.get(6).stdin(), StandardCharsets.UTF_8))
        .isEqualTo("destroy KUBE-CLUSTER-IP\ndestroy KUBE-6-IPVS-IPS\n");
  }
}
