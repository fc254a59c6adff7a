package dev.kubeproxy.userspace;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.nftables.RealNftKernel;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Userspace node mode for the conformance suites: the compiler and the redirect rules run in the
 * test JVM (rules through the node's command runner), the listeners in a {@link ListenerAgent}
 * in the lab's node namespace, shared by every backend a suite creates (as one proxy process
 * whose backend is recreated), ended by {@link #stop()}.
 */
final class UserspaceNodeUnderTest implements BackendUnderTest {
  private final String nodeNs;
  private RemoteListeners listeners;

  UserspaceNodeUnderTest(String nodeNs) {
    this.nodeNs = nodeNs;
  }

  @Override
  public String mode() {
    return UserspaceBackend.MODE;
  }

  @Override
  public synchronized Backend create(CommandRunner node) {
    if (listeners == null) {
      try {
        listeners = RemoteListeners.startIn(nodeNs);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return UserspaceBackend.node(listeners, new RealNftKernel(node), PortRange.DEFAULT, System::nanoTime);
  }

  @Override
  public String listProgrammed(CommandRunner node) throws CommandException {
    StringBuilder out = new StringBuilder();
    for (IpFamily family : IpFamily.values()) {
      try {
        out.append(node.run(Command.of("nft", "list", "table", family.nftFamily(), RedirectRules.TABLE)).stdout());
      } catch (CommandException e) {
        out.append("(no table ").append(family.nftFamily()).append(' ').append(RedirectRules.TABLE).append(")\n");
      }
      if (listeners != null) {
        out.append("listeners ").append(family).append(": ").append(listeners.specs(family)).append('\n');
      }
    }
    return out.toString();
  }

  /** Ends the listener agent, if one was started. */
  synchronized void stop() {
    if (listeners != null) {
      listeners.stop();
      listeners = null;
    }
  }
}
