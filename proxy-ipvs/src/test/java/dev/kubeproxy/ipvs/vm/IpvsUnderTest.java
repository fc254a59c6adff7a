package dev.kubeproxy.ipvs.vm;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.ipvs.IpvsBackend;
import dev.kubeproxy.ipvs.RealIpvsKernel;
import dev.kubeproxy.model.conformance.BackendUnderTest;

/** The IPVS backend for the conformance suites, programming the lab's node in the VM's guest. */
final class IpvsUnderTest implements BackendUnderTest {
  static final IpvsUnderTest INSTANCE = new IpvsUnderTest();

  private IpvsUnderTest() {}

  @Override
  public String mode() {
    return IpvsBackend.MODE;
  }

  @Override
  public Backend create(CommandRunner node) {
    return new IpvsBackend(new RealIpvsKernel(node));
  }

  @Override
  public String listProgrammed(CommandRunner node) throws CommandException {
    return node.run(Command.of("ipvsadm", "-Ln")).stdout()
        + node.run(Command.of("ip", "-o", "addr", "show", "dev", "kube-ipvs0")).stdout()
        + node.run(Command.of("ipset", "save")).stdout()
        + node.run(Command.of("iptables-save")).stdout()
        + node.run(Command.of("ip6tables-save")).stdout();
  }
}
