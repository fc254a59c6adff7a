package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.bin.server.ProxyMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConntrackToolCleanerTest {
  final ProxyMetrics metrics = ProxyMetrics.create("nftables", Set.of(IpFamily.V4, IpFamily.V6));
  final List<List<String>> ran = new ArrayList<>();

  static final ForwardingTable DNS = ForwardingTable.empty(IpFamily.V4).withEntries(Map.of(
      ServicePortKey.of("kube-system", "dns", "dns", Protocol.UDP),
      ServiceEntry.builder(ServicePortKey.of("kube-system", "dns", "dns", Protocol.UDP), IpFamily.V4)
          .frontends(new Frontend(FrontendKind.CLUSTER_IP, IpAddress.parse("10.96.0.10"), 53, Protocol.UDP))
          .internal(new EndpointList(
              ImmutableList.of(new ServiceEndpoint(IpAddress.parse("10.244.0.5"), 53, false, false)),
              EmptyVerdict.REJECT))
          .build()));

  static final String LISTING =
      "ipv4 2 udp 17 29 src=10.0.0.1 dst=10.96.0.10 sport=1000 dport=53 src=10.244.0.9"
          + " dst=10.0.0.1 sport=53 dport=1000 mark=0 use=1\n"
          + "ipv4 2 udp 17 29 src=10.0.0.2 dst=10.96.0.10 sport=1001 dport=53 src=10.244.0.9"
          + " dst=10.0.0.2 sport=53 dport=1001 mark=0 use=1\n";

  String scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    metrics.writeTextFormat(out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("two processes for a family with stale entries; deleted entries and the duration reach upstream's metrics")
  void recordsMetrics() throws Exception {
    CommandRunner runner = command -> {
      ran.add(command.argv());
      boolean list = command.argv().contains("-L");
      return new CommandResult(0, list ? LISTING : "udp ... deleted\nudp ... deleted\n", "");
    };
    int stale = new ConntrackToolCleaner(runner, metrics).reconcile(DNS);

    assertThat(stale).isEqualTo(2);
    assertThat(ran).hasSize(2);
    String text = scrape();
    assertThat(text)
        .contains("kubeproxy_conntrack_reconciler_deleted_entries_total{ip_family=\"IPv4\"} 2.0")
        .contains("kubeproxy_conntrack_reconciler_deleted_entries_total{ip_family=\"IPv6\"} 0.0")
        .contains("kubeproxy_conntrack_reconciler_sync_duration_seconds_count{ip_family=\"IPv4\"} 1")
        .contains("kubeproxy_conntrack_reconciler_sync_duration_seconds_count{ip_family=\"IPv6\"} 0");
  }

  @Test
  @DisplayName("a failing tool still records the duration, deletes nothing, and throws for the proxy to retry")
  void failureRecordsDuration() throws Exception {
    CommandRunner failing = command -> {
      throw new CommandException(command, 1, "Operation not permitted");
    };
    assertThatThrownBy(() -> new ConntrackToolCleaner(failing, metrics).reconcile(DNS))
        .isInstanceOf(CommandException.class);
    assertThat(scrape())
        .contains("kubeproxy_conntrack_reconciler_deleted_entries_total{ip_family=\"IPv4\"} 0.0")
        .contains("kubeproxy_conntrack_reconciler_sync_duration_seconds_count{ip_family=\"IPv4\"} 1");
  }
}
