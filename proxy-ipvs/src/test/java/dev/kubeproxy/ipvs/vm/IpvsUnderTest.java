package dev.kubeproxy.ipvs.vm;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.ipvs.IpvsBackend;
import dev.kubeproxy.ipvs.IpvsConfig;
import dev.kubeproxy.ipvs.RealIpvsKernel;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Listings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The IPVS backend for the conformance suites, programming the lab's node in the VM's guest. */
final class IpvsUnderTest implements BackendUnderTest {
  static final IpvsUnderTest INSTANCE = new IpvsUnderTest(IpvsConfig.DEFAULT);
  /**
   * Drained real servers checked on every sync rather than once a minute (upstream's interval), so
   * a removed endpoint without connections is gone by the next sync: for comparing a node after
   * many removals with a fresh full sync.
   */
  static final IpvsUnderTest CHECK_DRAINED_EVERY_SYNC =
      new IpvsUnderTest(new IpvsConfig("rr", Duration.ZERO));

  private final IpvsConfig config;

  private IpvsUnderTest(IpvsConfig config) {
    this.config = config;
  }

  @Override
  public String mode() {
    return IpvsBackend.MODE;
  }

  @Override
  public Backend create(CommandRunner node) {
    return new IpvsBackend(new RealIpvsKernel(node), config, System::nanoTime);
  }

  @Override
  public String listProgrammed(CommandRunner node) throws CommandException {
    return node.run(Command.of("ipvsadm", "-Ln")).stdout()
        + node.run(Command.of("ip", "-o", "addr", "show", "dev", "kube-ipvs0")).stdout()
        + node.run(Command.of("ipset", "save")).stdout()
        + node.run(Command.of("iptables-save")).stdout()
        + node.run(Command.of("ip6tables-save")).stdout();
  }

  /**
   * {@link #listProgrammed} with what depends on the order of creation sorted away: IPVS
   * services sorted, each with its real servers sorted; the dummy interface's addresses and the
   * ipset members sorted (interface indexes, lifetimes and the sets' random hash seeds dropped);
   * iptables as {@link
   * Listings#iptablesSave}.
   */
  @Override
  public String normalizedListing(CommandRunner node) throws CommandException {
    return ipvsadm(node.run(Command.of("ipvsadm", "-Ln")).stdout())
        + sorted(node.run(Command.of("ip", "-o", "addr", "show", "dev", "kube-ipvs0")).stdout()
            .replaceAll("(?m)^\\d+: ", "").replaceAll("(?m)\\\\.*$", ""))
        + sorted(node.run(Command.of("ipset", "save")).stdout().replaceAll(" initval 0x[0-9a-f]+", ""))
        + Listings.iptablesSave(node.run(Command.of("iptables-save")).stdout())
        + Listings.iptablesSave(node.run(Command.of("ip6tables-save")).stdout());
  }

  /** {@code ipvsadm -Ln}: header kept, virtual services sorted, each with its real servers sorted. */
  private static String ipvsadm(String listing) {
    Map<String, List<String>> services = new TreeMap<>();
    StringBuilder out = new StringBuilder();
    List<String> current = null;
    for (String line : listing.lines().toList()) {
      if (line.startsWith("TCP") || line.startsWith("UDP") || line.startsWith("SCTP")
          || line.startsWith("FWM")) {
        current = new ArrayList<>();
        services.put(line.strip(), current);
      } else if (current != null && line.strip().startsWith("->")) {
        current.add(line.strip());
      } else {
        out.append(line.strip()).append('\n');
      }
    }
    services.forEach((service, servers) -> {
      servers.sort(null);
      out.append(service).append('\n');
      servers.forEach(s -> out.append("  ").append(s).append('\n'));
    });
    return out.toString();
  }

  private static String sorted(String text) {
    return text.lines().map(String::strip).filter(l -> !l.isEmpty()).sorted()
        .collect(Collectors.joining("\n", "", "\n"));
  }
}
