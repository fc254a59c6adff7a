package dev.kubeproxy.userspace;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.backend.BackendProvider;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.nftables.RealNftKernel;
import java.util.List;
import java.util.Optional;

/**
 * The userspace mode for the binary's registry. On a node ({@link #UserspaceProvider()}) it
 * needs root and {@code nft} for its redirect rules; embedded ({@link #embedded}) it listens on
 * the given addresses and needs nothing at all.
 */
public final class UserspaceProvider implements BackendProvider {
  private final ImmutableList<IpAddress> bindAddresses;

  /** Node mode: listeners plus redirect rules in table {@code kube-proxy-userspace}. */
  public UserspaceProvider() {
    this.bindAddresses = ImmutableList.of();
  }

  private UserspaceProvider(List<IpAddress> bindAddresses) {
    Preconditions.checkArgument(!bindAddresses.isEmpty(), "at least one bind address");
    this.bindAddresses = ImmutableList.copyOf(bindAddresses);
  }

  /** Embedded mode: ephemeral-port listeners on {@code bindAddresses}, no kernel rules. */
  public static UserspaceProvider embedded(List<IpAddress> bindAddresses) {
    return new UserspaceProvider(bindAddresses);
  }

  /** Whether this is the embedded mode (no privileges, no rules). */
  public boolean isEmbedded() {
    return !bindAddresses.isEmpty();
  }

  @Override
  public String mode() {
    return UserspaceBackend.MODE;
  }

  @Override
  public Optional<String> preflight(BackendContext context) {
    if (isEmbedded()) {
      return Optional.empty();
    }
    try {
      String uid = context.commands().run(Command.of("id", "-u")).stdout().strip();
      if (!uid.equals("0")) {
        return Optional.of("userspace node mode needs root for its redirect rules (uid " + uid
            + "); --userspace-bind ADDRESS runs it embedded without privileges");
      }
      context.commands().run(Command.of("nft", "--version"));
    } catch (CommandException e) {
      return Optional.of("userspace node mode needs root and the nft tool: " + e.getMessage());
    }
    return Optional.empty();
  }

  @Override
  public Backend create(BackendContext context) {
    if (isEmbedded()) {
      return UserspaceBackend.embedded(
          EmbeddedPlan.ephemeral(bindAddresses), UserspaceConfig.defaults(), context.nanoClock());
    }
    return UserspaceBackend.node(
        new RealNftKernel(context.commands()), PortRange.DEFAULT, UserspaceConfig.defaults(), context.nanoClock());
  }
}
