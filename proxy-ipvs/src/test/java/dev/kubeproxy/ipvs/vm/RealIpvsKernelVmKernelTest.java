package dev.kubeproxy.ipvs.vm;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.testing.SampleTables;
import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.ipvs.FakeIpvsKernel;
import dev.kubeproxy.ipvs.IpvsBackend;
import dev.kubeproxy.ipvs.RealIpvsKernel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RealIpvsKernel} against the guest's real tools: what it renders ({@code ipset -exist
 * restore}, {@code ip -batch -}, {@code ipvsadm -R}, {@code sysctl -e -w}, {@code
 * iptables-restore --noflush}) is accepted, and what it reads back ({@code ipvsadm -Sn}, {@code
 * ipset save}, {@code ip -o addr show}, {@code iptables -S}) equals what {@link FakeIpvsKernel}
 * holds after the same syncs. Every test runs in a fresh guest namespace of one VM.
 */
@KernelTest
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RealIpvsKernelVmKernelTest {
  private static final List<IpFamily> FAMILIES = List.of(IpFamily.V4, IpFamily.V6);

  private static IpvsVm vm;
  private static int namespaces;
  private CommandRunner node;

  @BeforeAll
  static void bootVm() throws Exception {
    vm = IpvsVm.boot();
  }

  @AfterAll
  static void killVm() {
    if (vm != null) {
      vm.close();
    }
  }

  @BeforeEach
  void freshNamespace() throws CommandException {
    String ns = "real" + (++namespaces);
    vm.runner().run(Command.of("ip", "netns", "add", ns));
    node = CommandRunner.inNetns(vm.runner(), ns);
    node.run(Command.of("ip", "link", "set", "lo", "up"));
  }

  @Test
  void fullSyncOfEveryFeatureIsAcceptedAndReadBackAsTheFakeHoldsIt() throws Exception {
    IpvsBackend real = new IpvsBackend(new RealIpvsKernel(node));
    FakeIpvsKernel fake = new FakeIpvsKernel();
    SyncRequest full = full(SampleTables.allFeatures(IpFamily.V4),
        SampleTables.allFeatures(IpFamily.V6));

    real.sync(full);
    new IpvsBackend(fake).sync(full);

    assertReadsEqual(fake);
    String saved = node.run(Command.of("ipvsadm", "-Sn")).stdout();
    assertThat(saved)
        .contains("-A -t 10.96.0.10:80 -s rr")
        .contains("-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1")
        .contains("-A -t [fd00:96::10]:80 -s rr")
        .containsPattern("-A -t 10.96.2.1:9000 -s rr -p 600");
  }

  @Test
  void partialSyncsAreAcceptedAndLeaveWhatTheFakeHolds() throws Exception {
    IpvsBackend real = new IpvsBackend(new RealIpvsKernel(node));
    FakeIpvsKernel fake = new FakeIpvsKernel();
    IpvsBackend fakeBackend = new IpvsBackend(fake);
    List<ForwardingTable> before = tables(10);
    real.sync(full(before.get(0), before.get(1)));
    fakeBackend.sync(full(before.get(0), before.get(1)));

    // Drop one service of each family (its real servers drain or go), then bring it back.
    List<TableChange> delete = new ArrayList<>();
    List<TableChange> readd = new ArrayList<>();
    for (ForwardingTable table : before) {
      ServiceEntry first = table.sortedEntries().get(0);
      ServicePortKey key = first.key();
      ForwardingTable without = table.withEntries(Collections.singletonMap(key, null));
      delete.add(new TableChange(table.family(), table, without, ImmutableSet.of(key)));
      readd.add(new TableChange(table.family(), without, table, ImmutableSet.of(key)));
    }
    SyncRequest deleteRequest = new SyncRequest(ImmutableList.copyOf(delete), false);
    SyncRequest readdRequest = new SyncRequest(ImmutableList.copyOf(readd), false);
    real.sync(deleteRequest);
    fakeBackend.sync(deleteRequest);
    assertReadsEqual(fake);
    real.sync(readdRequest);
    fakeBackend.sync(readdRequest);
    assertReadsEqual(fake);
  }

  @Test
  void aRestartedBackendAdoptsWhatItFindsWithoutChangingIt() throws Exception {
    SyncRequest full = full(SampleTables.allFeatures(IpFamily.V4),
        SampleTables.allFeatures(IpFamily.V6));
    new IpvsBackend(new RealIpvsKernel(node)).sync(full);
    String ipvsBefore = node.run(Command.of("ipvsadm", "-Sn")).stdout();

    SyncResult restart = new IpvsBackend(new RealIpvsKernel(node)).sync(full);

    assertThat(node.run(Command.of("ipvsadm", "-Sn")).stdout()).isEqualTo(ipvsBefore);
    FakeIpvsKernel fake = new FakeIpvsKernel();
    new IpvsBackend(fake).sync(full);
    SyncResult fakeRestart = new IpvsBackend(fake).sync(full);
    assertThat(restart.operations())
        .as("a restart on the real kernel changes as much as on the fake")
        .isEqualTo(fakeRestart.operations());
    assertReadsEqual(fake);
  }

  @Test
  void cleanupRemovesEverythingOfTheMode() throws Exception {
    IpvsBackend real = new IpvsBackend(new RealIpvsKernel(node));
    real.sync(full(SampleTables.allFeatures(IpFamily.V4), SampleTables.allFeatures(IpFamily.V6)));

    real.cleanup();

    assertThat(node.run(Command.of("ipvsadm", "-Sn")).stdout()).isBlank();
    assertThat(node.run(Command.of("ipset", "list", "-n")).stdout()).isBlank();
    assertThat(node.run(Command.of("ip", "-o", "link", "show")).stdout())
        .doesNotContain("kube-ipvs0");
    for (String tool : List.of("iptables-save", "ip6tables-save")) {
      assertThat(node.run(Command.of(tool)).stdout()).as(tool).doesNotContain("KUBE-");
    }
    // And the node still holds nothing of ours for a new backend's full read.
    FakeIpvsKernel empty = new FakeIpvsKernel();
    assertReadsEqual(empty);
  }

  private void assertReadsEqual(FakeIpvsKernel fake) throws Exception {
    RealIpvsKernel kernel = new RealIpvsKernel(node);
    for (IpFamily family : FAMILIES) {
      assertThat(kernel.read(family)).as("%s read back", family).isEqualTo(fake.read(family));
    }
  }

  private static List<ForwardingTable> tables(int services) {
    return List.of(
        SampleTables.generated(IpFamily.V4, services, 3, true),
        SampleTables.generated(IpFamily.V6, services, 3, true));
  }

  private static SyncRequest full(ForwardingTable v4, ForwardingTable v6) {
    return new SyncRequest(
        ImmutableList.of(TableChange.initial(v4), TableChange.initial(v6)), true);
  }
}
