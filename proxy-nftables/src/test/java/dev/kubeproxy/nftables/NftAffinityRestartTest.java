package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.TableChange;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.testing.SampleTables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * ClientIP affinity slots across a restart or a failed sync: a full sync with nothing committed
 * takes each surviving endpoint's slot from the kernel's affinity group maps, so remembered
 * clients keep their endpoints as upstream's do; an unreadable listing only costs the slots.
 */
class NftAffinityRestartTest {
  private static final NftTable V4 = NftTable.kubeProxy(IpFamily.V4);
  private static final ServicePortKey STICKY = ServicePortKey.of("apps", "sticky", "api", Protocol.TCP);
  private static final String GROUP_3 = "service-ips-affinity-tcp-600-3";

  private final FakeNftKernel kernel = new FakeNftKernel();
  private final NftablesBackend backend = new NftablesBackend(kernel, () -> 0L);

  private static ServiceEndpoint endpoint(String address) {
    return new ServiceEndpoint(IpAddress.parse(address), 9000, false, false);
  }

  /** {@code table} with the sticky service's lists (internal, external, cluster) = {@code endpoints}. */
  private static ForwardingTable withSticky(ForwardingTable table, List<ServiceEndpoint> endpoints) {
    ServiceEntry entry = table.entry(STICKY);
    EndpointList list = new EndpointList(ImmutableList.copyOf(endpoints), entry.internal().ifEmpty());
    return table.withEntries(Map.of(STICKY, entry.toBuilder().internal(list).external(list)
        .cluster(ImmutableList.copyOf(endpoints)).build()));
  }

  /**
   * The sample synced, then the sticky service's first endpoint replaced by partial syncs so that
   * its slots are not list order: 0 = 10.244.3.22 (filled the hole), 1 = 10.244.2.21, 2 =
   * 10.244.1.5.
   */
  private ForwardingTable syncedWithShuffledSlots() throws Exception {
    ForwardingTable first = SampleTables.allFeatures(IpFamily.V4);
    backend.sync(SyncRequest.full(TableChange.initial(first)));
    ForwardingTable second = withSticky(first, List.of(endpoint("10.244.2.21")));
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, first, second, ImmutableSet.of(STICKY))));
    ForwardingTable third = withSticky(second,
        List.of(endpoint("10.244.2.21"), endpoint("10.244.3.22"), endpoint("10.244.1.5")));
    backend.sync(SyncRequest.partial(new TableChange(IpFamily.V4, second, third, ImmutableSet.of(STICKY))));
    assertThat(kernel.elements(V4, GROUP_3)).contains(
        "10.96.2.1 . tcp . 9000 . 0 : 10.244.3.22 . 9000",
        "10.96.2.1 . tcp . 9000 . 1 : 10.244.2.21 . 9000",
        "10.96.2.1 . tcp . 9000 . 2 : 10.244.1.5 . 9000");
    return third;
  }

  @Test
  @DisplayName("a new backend over a kernel holding an earlier backend's state keeps every slot,"
      + " also with the endpoints in another order")
  void restartKeepsSlots() throws Exception {
    ForwardingTable table = syncedWithShuffledSlots();
    List<String> slots = kernel.elements(V4, GROUP_3);
    List<String> picks = kernel.elements(V4, "service-ips-affinity-pick");

    NftablesBackend restarted = new NftablesBackend(kernel, () -> 0L);
    restarted.sync(SyncRequest.full(TableChange.initial(table)));
    assertThat(kernel.elements(V4, GROUP_3)).isEqualTo(slots);
    assertThat(kernel.elements(V4, "service-ips-affinity-pick")).isEqualTo(picks);

    List<ServiceEndpoint> reversed = new ArrayList<>(table.entry(STICKY).internal().endpoints());
    java.util.Collections.reverse(reversed);
    NftablesBackend again = new NftablesBackend(kernel, () -> 0L);
    again.sync(SyncRequest.full(TableChange.initial(withSticky(table, reversed))));
    assertThat(kernel.elements(V4, GROUP_3)).isEqualTo(slots);
  }

  @Test
  @DisplayName("after a failed sync (state forgotten) the next full sync keeps the slots; a new endpoint"
      + " takes the lowest free slot, a gone one leaves its hole")
  void forgottenStateKeepsSlots() throws Exception {
    ForwardingTable table = syncedWithShuffledSlots();
    backend.forget(IpFamily.V4);
    ForwardingTable next = withSticky(table,
        List.of(endpoint("10.244.1.5"), endpoint("10.244.9.9"), endpoint("10.244.2.21")));
    backend.sync(SyncRequest.full(TableChange.initial(next)));
    assertThat(kernel.elements(V4, GROUP_3)).contains(
        "10.96.2.1 . tcp . 9000 . 0 : 10.244.9.9 . 9000",
        "10.96.2.1 . tcp . 9000 . 1 : 10.244.2.21 . 9000",
        "10.96.2.1 . tcp . 9000 . 2 : 10.244.1.5 . 9000");

    backend.forget(IpFamily.V4);
    ForwardingTable fewer = withSticky(table, List.of(endpoint("10.244.1.5")));
    backend.sync(SyncRequest.full(TableChange.initial(fewer)));
    assertThat(kernel.elements(V4, GROUP_3))
        .contains("10.96.2.1 . tcp . 9000 . 2 : 10.244.1.5 . 9000")
        .noneMatch(e -> e.contains(" . 0 : ") || e.contains(" . 1 : "));
  }

  @Test
  @DisplayName("render (dry run) lists nothing and applies nothing")
  void renderTouchesNothing() throws Exception {
    ForwardingTable table = syncedWithShuffledSlots();
    int listings = kernel.objectListings();
    int transactions = kernel.transactions();
    String before = kernel.dump();
    NftablesBackend fresh = new NftablesBackend(kernel, () -> 0L);
    String text = fresh.render(SyncRequest.full(TableChange.initial(table)));
    assertThat(text).contains("add map ip kube-proxy " + GROUP_3);
    assertThat(kernel.objectListings()).isEqualTo(listings);
    assertThat(kernel.transactions()).isEqualTo(transactions);
    assertThat(kernel.dump()).isEqualTo(before);
  }

  private static final String TERSE = String.join("\n",
      "table ip kube-proxy {",
      "\tmap service-ips-affinity-tcp-600-3 {",
      "\t\ttypeof ip daddr . meta l4proto . th dport . numgen random mod 65536 : ip daddr . th dport",
      "\t}",
      "\tmap service-nodeports-affinity-udp-60-2 {",
      "\t\ttypeof meta l4proto . th dport . numgen random mod 65536 : ip daddr . th dport",
      "\t}",
      "\tmap service-ips-3 {",
      "\t\ttypeof ip daddr . meta l4proto . th dport . numgen random mod 65536 : ip daddr . th dport",
      "\t}",
      "}",
      "");

  /** What nft 1.0.6 prints for {@code nft list map} of the two affinity maps (checked by hand). */
  private static final Map<String, String> MAPS = Map.of(
      "service-ips-affinity-tcp-600-3", String.join("\n",
          "table ip kube-proxy {",
          "\tmap service-ips-affinity-tcp-600-3 {",
          "\t\ttypeof ip daddr . meta l4proto . th dport . numgen random mod 65536 : ip daddr . th dport",
          "\t\telements = { 10.96.2.1 . tcp . 9000 . 0 : 10.244.3.22 . 9000,",
          "\t\t\t     10.96.2.1 . tcp . 9000 . 2 : 10.244.1.5 . 80 }",
          "\t}",
          "}", ""),
      "service-nodeports-affinity-udp-60-2", String.join("\n",
          "table ip kube-proxy {",
          "\tmap service-nodeports-affinity-udp-60-2 {",
          "\t\ttypeof meta l4proto . th dport . numgen random mod 65536 : ip daddr . th dport",
          "\t\telements = { udp . 30053 . 1 : 10.244.1.5 . 53 }",
          "\t}",
          "}", ""));

  /** A runner answering like nft: the terse listing, then each map from {@code maps}. */
  private static CommandRunner nft(Map<String, String> maps, List<String> asked) {
    return command -> {
      List<String> argv = command.argv();
      asked.add(String.join(" ", argv));
      if (argv.contains("-t")) {
        return new CommandResult(0, TERSE, "");
      }
      return new CommandResult(0, maps.get(argv.get(argv.size() - 1)), "");
    };
  }

  @Test
  @DisplayName("the real kernel reads only the affinity group maps, one nft list map each, into slot tables")
  void realKernelReadsAffinityMaps() throws Exception {
    List<String> asked = new ArrayList<>();
    ExistingObjects objects = new RealNftKernel(nft(MAPS, asked)).objects(V4);
    assertThat(asked).containsExactly("nft -t list table ip kube-proxy",
        "nft list map ip kube-proxy service-ips-affinity-tcp-600-3",
        "nft list map ip kube-proxy service-nodeports-affinity-udp-60-2");
    assertThat(objects.slots().table(DispatchSpace.SERVICE_IPS, ImmutableList.of("10.96.2.1", "tcp", "9000")))
        .containsExactly("10.244.3.22/9000", AffinityObjects.HOLE, "10.244.1.5/80");
    assertThat(objects.slots().table(DispatchSpace.SERVICE_NODEPORTS, ImmutableList.of("udp", "30053")))
        .containsExactly(AffinityObjects.HOLE, "10.244.1.5/53");
    assertThat(objects.slots().table(DispatchSpace.SERVICE_IPS, ImmutableList.of("10.96.2.2", "tcp", "9000")))
        .isEmpty();
  }

  @Test
  @DisplayName("IPv6 map listings: addresses read in canonical form, so they match the compiled ids")
  void ipv6Listing() {
    Group group = Group.parse("service-ips-affinity-tcp-600-2");
    AffinitySlots slots = AffinitySlots.builder().addListing(group, String.join("\n",
        "table ip6 kube-proxy {",
        "\tmap service-ips-affinity-tcp-600-2 {",
        "\t\ttypeof ip6 daddr . meta l4proto . th dport . numgen random mod 65536 : ip6 daddr . th dport",
        "\t\telements = { fd00:96:0::1 . tcp . 443 . 1 : FD00:10::0:5 . 8443 }",
        "\t}",
        "}", "")).build();
    assertThat(slots.table(DispatchSpace.SERVICE_IPS, ImmutableList.of("fd00:96::1", "tcp", "443")))
        .containsExactly(AffinityObjects.HOLE, AffinityObjects.id(new ServiceEndpoint(
            IpAddress.parse("fd00:10::5"), 8443, false, false)));
  }

  @Test
  @DisplayName("an unparsable or failing map listing falls back to fresh numbering, never a failed read")
  void badListingsCostOnlyTheSlots() throws Exception {
    String slotBeyondGroup = MAPS.get("service-ips-affinity-tcp-600-3").replace(". 2 : 10.244.1.5", ". 3 : 10.244.1.5");
    String garbage = "table ip kube-proxy {\n\tmap service-ips-affinity-tcp-600-3 {\n\t\telements = { what }\n\t}\n}\n";
    for (String bad : List.of(slotBeyondGroup, garbage, "")) {
      Map<String, String> maps = Map.of("service-ips-affinity-tcp-600-3", bad,
          "service-nodeports-affinity-udp-60-2", MAPS.get("service-nodeports-affinity-udp-60-2"));
      ExistingObjects objects = new RealNftKernel(nft(maps, new ArrayList<>())).objects(V4);
      assertThat(objects.slots()).as(bad).isEqualTo(AffinitySlots.NONE);
      assertThat(objects.sets()).containsKey("service-ips-3");
    }
    CommandRunner failing = command -> {
      if (command.argv().contains("-t")) {
        return new CommandResult(0, TERSE, "");
      }
      throw new CommandException(command, 1, "Error: No such file or directory");
    };
    assertThat(new RealNftKernel(failing).objects(V4).slots()).isEqualTo(AffinitySlots.NONE);
  }
}
