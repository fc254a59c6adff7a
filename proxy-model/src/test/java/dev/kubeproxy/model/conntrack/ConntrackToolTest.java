package dev.kubeproxy.model.conntrack;

import static dev.kubeproxy.api.testing.TableFixtures.endpoint;
import static dev.kubeproxy.api.testing.TableFixtures.entry;
import static dev.kubeproxy.api.testing.TableFixtures.tableOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConntrackToolTest {
  final List<Command> ran = new ArrayList<>();

  CommandRunner answering(String listing, String deleted) {
    return command -> {
      ran.add(command);
      return new CommandResult(0, command.argv().contains("-L") ? listing : deleted, "");
    };
  }

  static final String LISTING =
      "ipv4 2 udp 17 29 src=10.0.0.1 dst=10.96.0.10 sport=1000 dport=53 src=10.244.0.9"
          + " dst=10.0.0.1 sport=53 dport=1000 mark=0 use=1\n"
          + "ipv4 2 udp 17 29 src=10.0.0.2 dst=10.96.0.10 sport=1001 dport=53 src=10.244.0.9"
          + " dst=10.0.0.2 sport=53 dport=1001 mark=0 use=1\n"
          + "ipv4 2 udp 17 29 src=10.0.0.3 dst=10.96.0.10 sport=1002 dport=53 src=10.244.0.5"
          + " dst=10.0.0.3 sport=53 dport=1002 mark=0 use=1\n"
          + "not a line\n";

  @Test
  @DisplayName("one listing, then one batch whose -D lines cover the stale groups; the deleted count is the lines printed")
  void listsOnceDeletesOnce() throws CommandException {
    var table = tableOf(entry("kube-system", "dns", "dns", Protocol.UDP)
        .clusterIp("10.96.0.10", 53).endpoints(endpoint("10.244.0.5", 53)).build());
    ConntrackTool tool = new ConntrackTool(answering(LISTING,
        "udp 17 29 src=10.0.0.1 ...\nudp 17 29 src=10.0.0.2 ...\n"));

    ConntrackTool.Outcome outcome = tool.reconcile(table);

    assertThat(outcome).isEqualTo(new ConntrackTool.Outcome(3, 1, 2, 1, 2));
    assertThat(ran).hasSize(2);
    assertThat(ran.get(0).argv())
        .containsExactly("conntrack", "-L", "-f", "ipv4", "-p", "udp", "-o", "extended");
    assertThat(ran.get(1).argv()).containsExactly("conntrack", "-R", "/dev/stdin");
    assertThat(new String(ran.get(1).stdin(), StandardCharsets.US_ASCII)).isEqualTo(
        "-D -f ipv4 -p udp --orig-dst 10.96.0.10 --orig-port-dst 53 --reply-src 10.244.0.9"
            + " --reply-port-src 53\n");
  }

  @Test
  @DisplayName("nothing stale: no delete process at all")
  void nothingStale() throws CommandException {
    var table = tableOf(entry("kube-system", "dns", "dns", Protocol.UDP)
        .clusterIp("10.96.0.10", 53)
        .endpoints(endpoint("10.244.0.5", 53), endpoint("10.244.0.9", 53)).build());
    assertThat(new ConntrackTool(answering(LISTING, "")).reconcile(table).deleted()).isZero();
    assertThat(ran).hasSize(1);
  }

  @Test
  @DisplayName("a failing tool surfaces as the CommandException, for the caller to log and retry")
  void failure() {
    CommandRunner failing = command -> {
      throw new CommandException(command, 1, "conntrack v1.4.7 (conntrack-tools): Operation not permitted");
    };
    assertThatThrownBy(() -> new ConntrackTool(failing).reconcile(tableOf()))
        .isInstanceOf(CommandException.class);
  }
}
