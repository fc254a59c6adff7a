package dev.kubeproxy.userspace;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.model.conformance.BackendUnderTest;
import dev.kubeproxy.model.conformance.Listings;
import dev.kubeproxy.nftables.RealNftKernel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Userspace node mode for the conformance suites: the compiler and the redirect rules run in the
 * test JVM (rules through the node's command runner), the listeners in a {@link ListenerAgent}
 * in the lab's node namespace, shared by every backend a suite creates (as one proxy process
 * whose backend is recreated), ended by {@link #stop()}.
 */
final class UserspaceNodeUnderTest implements BackendUnderTest {
  /** A listener's address and port as the redirect maps hold them ({@code 10.0.0.1 . 20003}). */
  private static final Pattern LISTENER = Pattern.compile("([0-9a-f.:]+ \\. )(\\d+)\\b");
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

  /**
   * The redirect tables ({@link Listings#nftables}) and the listeners with their endpoints, each
   * listener port written as the listener it belongs to (service port and traffic): which free
   * port a listener got depends on the history of syncs, not on the tables, so two nodes are
   * equal when the same frontends reach listeners forwarding to the same endpoints.
   */
  @Override
  public synchronized String normalizedListing(CommandRunner node) throws CommandException {
    StringBuilder out = new StringBuilder();
    for (IpFamily family : IpFamily.values()) {
      Map<String, String> lines = new TreeMap<>();
      Map<Integer, String> names = new HashMap<>();
      if (listeners != null) {
        listeners.targets(family).forEach((spec, target) -> {
          String name = "<" + spec.key() + "/" + spec.key().protocol() + " " + spec.traffic() + ">";
          names.put(spec.port(), name);
          lines.put(name + " on " + spec.bindAddress(), target);
        });
      }
      String rules;
      try {
        rules = Listings.nftables(node.run(
            Command.of("nft", "list", "table", family.nftFamily(), RedirectRules.TABLE)).stdout());
      } catch (CommandException e) {
        rules = "(no table " + family.nftFamily() + " " + RedirectRules.TABLE + ")\n";
      }
      Matcher m = LISTENER.matcher(rules);
      StringBuilder named = new StringBuilder();
      while (m.find()) {
        int port = Integer.parseInt(m.group(2));
        boolean listenerPort = port >= PortRange.DEFAULT.first() && port <= PortRange.DEFAULT.last();
        m.appendReplacement(named, Matcher.quoteReplacement(m.group(1)
            + (listenerPort ? names.getOrDefault(port, "<no listener on " + port + ">") : m.group(2))));
      }
      m.appendTail(named);
      out.append(named);
      lines.forEach((listener, target) -> out.append("listener ").append(listener).append(" -> ").append(target).append('\n'));
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
