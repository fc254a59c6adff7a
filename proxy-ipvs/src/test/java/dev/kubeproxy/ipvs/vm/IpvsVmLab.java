package dev.kubeproxy.ipvs.vm;

import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Capability;
import dev.kubeproxy.model.conformance.Exclusions;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the IPVS conformance test classes share: one VM per class, booted when the suite builds
 * its lab (which then lives in the guest, see {@link GuestLabHost}) and killed after the lab is
 * closed; the backend under test; and what IPVS cannot do, as named exclusions. A class holds it
 * in a static {@code @RegisterExtension} field, so JUnit kills the VM after the suite's own
 * {@code @AfterAll} has closed the lab, also when a test or the lab's closing failed.
 */
final class IpvsVmLab implements AfterAllCallback {
  /** The backend every IPVS conformance class runs. */
  static final BackendUnderTest BACKEND = IpvsUnderTest.INSTANCE;

  /** What IPVS cannot do as the suites assert it (proxy-ipvs/README.md, known differences). */
  static final Exclusions EXCLUSIONS =
      Exclusions.of(
          Capability.NODE_PORT_ON_EVERY_LOCAL_ADDRESS,
          "IPVS needs a virtual server per address: NodePorts are served on the table's node"
              + " addresses only, not on every address the node has")
          .and(
              Capability.UDP_CONNTRACK_CLEANUP,
              "IPVS deletes a removed UDP real server at once and, with expire_nodest_conn=1,"
                  + " the flows it held: a UDP flow moves to the remaining endpoints without a"
                  + " conntrack cleanup, so the suite's stuck flow never exists")
          .and(
              Capability.DROP_FROM_NODE,
              "IPVS takes the node's own packets in LOCAL_OUT, before the filter glue sees"
                  + " them: to a ClusterIP with internalTrafficPolicy Local and no local endpoint"
                  + " the node gets ICMP port unreachable, and a LoadBalancer IP answers it"
                  + " whatever loadBalancerSourceRanges say")
          .and(
              Capability.EXTERNAL_LOCAL_SHORT_CIRCUIT,
              "IPVS holds one real-server list per virtual service: with externalTrafficPolicy"
                  + " Local a NodePort, ExternalIP or LoadBalancer IP has the local endpoints"
                  + " only, for pods and the node too")
          .and(
              Capability.UNALLOCATED_SERVICE_IP_DROP,
              "upstream's IPVS mode has no ServiceCIDR rule: an unallocated address inside a"
                  + " ServiceCIDR is routed like any other (only its nftables mode drops it)")
          .and(
              Capability.CHURN_PACE,
              "the VM runs under software emulation (no KVM here): one partial sync (ipset,"
                  + " ipvsadm and iptables-restore in the guest) takes ~285 ms on average and up to"
                  + " 1.6 s, so 600 churn changes take ~170 s instead of 60 s; every connection"
                  + " still succeeds");

  private IpvsVm vm;
  private long start;

  /** Boots this class's VM and puts {@code lab} in its guest. */
  NetnsLab.Builder inVm(NetnsLab.Builder lab) {
    start = System.nanoTime();
    try {
      vm = IpvsVm.boot();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while booting the IPVS VM", e);
    }
    return lab.host(new GuestLabHost(vm));
  }

  /** This class's VM, once {@link #inVm} has booted it. */
  IpvsVm vm() {
    return vm;
  }

  /** Kills this class's VM, if one was booted, and prints the class's times. */
  @Override
  public void afterAll(ExtensionContext context) {
    if (vm != null) {
      vm.close();
      System.out.printf(
          "%s: VM boot %d ms, whole class %d ms%n",
          context.getRequiredTestClass().getSimpleName(),
          vm.bootTime().toMillis(),
          (System.nanoTime() - start) / 1_000_000);
    }
  }
}
