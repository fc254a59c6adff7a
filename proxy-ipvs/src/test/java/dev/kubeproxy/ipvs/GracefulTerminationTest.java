package dev.kubeproxy.ipvs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.testing.SampleTables;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Graceful termination as upstream: a removed TCP real server drains at weight 0 (established
 * connections go on, new ones avoid it) until the kernel reports no active or inactive connection
 * at a check (at most once per interval); UDP ones go at once; a server wanted again gets its
 * weight back; a deleted service takes its draining servers with it.
 */
class GracefulTerminationTest {
  private static final long SECOND = 1_000_000_000L;
  private static final ServicePortKey WEB =
      ServicePortKey.of("default", "web", "http", Protocol.TCP);
  private static final ServicePortKey DNS =
      ServicePortKey.of("default", "dns", "dns", Protocol.UDP);
  private static final IpAddress WEB_IP = IpAddress.parse("10.96.0.10");
  private static final IpAddress DNS_IP = IpAddress.parse("10.96.0.53");
  private static final ServiceEndpoint A = endpoint("10.244.1.1");
  private static final ServiceEndpoint B = endpoint("10.244.1.2");
  private static final VirtualServer WEB_VS = VirtualServer.of(WEB_IP, Protocol.TCP, 80);
  private static final VirtualServer DNS_VS = VirtualServer.of(DNS_IP, Protocol.UDP, 53);

  private final long[] clock = {0};
  private FakeIpvsKernel kernel;
  private IpvsBackend backend;
  private ForwardingTable table;

  private static ServiceEndpoint endpoint(String ip) {
    return SampleTables.endpoint(IpAddress.parse(ip), 8080, false);
  }

  private static RealServer rs(VirtualServer vs, ServiceEndpoint e) {
    return new RealServer(vs, e.address(), e.port());
  }

  @BeforeEach
  void start() throws Exception {
    kernel = new FakeIpvsKernel();
    backend = new IpvsBackend(kernel, new IpvsConfig("rr", Duration.ofSeconds(60)), () -> clock[0]);
    table =
        SampleTables.emptyNode(IpFamily.V4)
            .withEntries(
                Map.of(
                    WEB, SampleTables.clusterIp(WEB, WEB_IP, 80, List.of(A, B)),
                    DNS, SampleTables.clusterIp(DNS, DNS_IP, 53, List.of(A, B))));
    backend.sync(SyncRequest.full(TableChange.initial(table)));
  }

  /** Sets {@code key}'s endpoints ({@code null}: deletes it) after {@code seconds}. */
  private void change(ServicePortKey key, long seconds, ServiceEndpoint... endpoints)
      throws Exception {
    clock[0] += seconds * SECOND;
    IpAddress ip = key.equals(WEB) ? WEB_IP : DNS_IP;
    ServiceEntry next =
        endpoints == null
            ? null
            : SampleTables.clusterIp(key, ip, key.equals(WEB) ? 80 : 53, List.of(endpoints));
    ForwardingTable after = table.withEntries(Collections.singletonMap(key, next));
    backend.sync(
        SyncRequest.partial(new TableChange(IpFamily.V4, table, after, ImmutableSet.of(key))));
    table = after;
  }

  /** A sync with no change after {@code seconds}: only the drain check may act. */
  private void tick(long seconds) throws Exception {
    clock[0] += seconds * SECOND;
    backend.sync(
        SyncRequest.partial(new TableChange(IpFamily.V4, table, table, ImmutableSet.of())));
  }

  @Test
  void aRemovedTcpServerDrainsUntilItsLastConnectionIsGone() throws Exception {
    change(WEB, 1, A);
    assertThat(kernel.servers(IpFamily.V4))
        .containsEntry(rs(WEB_VS, A), 1)
        .containsEntry(rs(WEB_VS, B), 0);
    assertThat(backend.committed(IpFamily.V4).draining()).containsOnlyKeys(rs(WEB_VS, B));

    kernel.setConnections(rs(WEB_VS, B), 2);
    tick(61);
    assertThat(kernel.servers(IpFamily.V4))
        .as("still carrying connections")
        .containsEntry(rs(WEB_VS, B), 0);

    kernel.setConnections(rs(WEB_VS, B), 0);
    tick(10);
    assertThat(kernel.servers(IpFamily.V4))
        .as("checked at most once a minute")
        .containsKey(rs(WEB_VS, B));
    tick(60);
    assertThat(kernel.servers(IpFamily.V4))
        .doesNotContainKey(rs(WEB_VS, B))
        .containsKey(rs(WEB_VS, A));
    assertThat(backend.committed(IpFamily.V4).draining()).isEmpty();
  }

  @Test
  void aRemovedUdpServerGoesAtOnce() throws Exception {
    change(DNS, 1, A);
    assertThat(kernel.servers(IpFamily.V4))
        .containsKey(rs(DNS_VS, A))
        .doesNotContainKey(rs(DNS_VS, B));
    assertThat(backend.committed(IpFamily.V4).draining()).isEmpty();
  }

  @Test
  void aDrainingServerWantedAgainGetsItsWeightBack() throws Exception {
    kernel.setConnections(rs(WEB_VS, B), 5);
    change(WEB, 1, A);
    change(WEB, 120, A, B);
    assertThat(kernel.servers(IpFamily.V4)).containsEntry(rs(WEB_VS, B), 1);
    assertThat(backend.committed(IpFamily.V4).draining()).isEmpty();
    kernel.setConnections(rs(WEB_VS, B), 0);
    tick(120);
    assertThat(kernel.servers(IpFamily.V4)).containsEntry(rs(WEB_VS, B), 1);
  }

  @Test
  void aDeletedServiceTakesItsDrainingServersWithIt() throws Exception {
    kernel.setConnections(rs(WEB_VS, B), 5);
    change(WEB, 1, A);
    change(WEB, 1, (ServiceEndpoint[]) null);
    assertThat(kernel.services(IpFamily.V4)).doesNotContainKey(WEB_VS);
    assertThat(backend.committed(IpFamily.V4).draining()).isEmpty();
    tick(120);
    assertThat(kernel.services(IpFamily.V4)).containsOnlyKeys(DNS_VS);
  }

  @Test
  void aRestartKeepsDrainingWhatTheKernelStillServes() throws Exception {
    kernel.setConnections(rs(WEB_VS, B), 3);
    change(WEB, 1, A);
    // A new process: nothing committed, so the first sync is full and reads the kernel.
    IpvsBackend restarted =
        new IpvsBackend(kernel, new IpvsConfig("rr", Duration.ofSeconds(60)), () -> clock[0]);
    restarted.sync(SyncRequest.full(TableChange.initial(table)));
    assertThat(kernel.servers(IpFamily.V4)).containsEntry(rs(WEB_VS, B), 0);
    assertThat(restarted.committed(IpFamily.V4).draining()).containsOnlyKeys(rs(WEB_VS, B));
    kernel.setConnections(rs(WEB_VS, B), 0);
    clock[0] += 61 * SECOND;
    restarted.sync(
        SyncRequest.partial(new TableChange(IpFamily.V4, table, table, ImmutableSet.of())));
    assertThat(kernel.servers(IpFamily.V4)).doesNotContainKey(rs(WEB_VS, B));
  }
}
