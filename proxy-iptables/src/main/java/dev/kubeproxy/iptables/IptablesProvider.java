package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.backend.BackendProvider;
import dev.kubeproxy.api.backend.kit.Versions;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iptables mode for the binary's registry: the variant {@link IptVariant} chooses, driven
 * with {@code iptables-restore -w --noflush}.
 */
public final class IptablesProvider implements BackendProvider {
  private static final Logger log = LoggerFactory.getLogger(IptablesProvider.class);

  private final boolean localhostNodePorts;

  /** The mode with upstream's defaults ({@code iptables.localhostNodePorts: true}). */
  public IptablesProvider() {
    this(true);
  }

  /** The mode with upstream's {@code iptables.localhostNodePorts} set to {@code localhostNodePorts}. */
  public IptablesProvider(boolean localhostNodePorts) {
    this.localhostNodePorts = localhostNodePorts;
  }

  @Override
  public String mode() {
    return IptablesBackend.MODE;
  }

  /** The chosen variant's {@code iptables-restore} must exist and be 1.6.2 or newer ({@code -w}). */
  @Override
  public Optional<String> preflight(BackendContext context) {
    IptBinaries binaries;
    try {
      binaries = IptVariant.choose(context.commands(), context.environment()).binaries();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
    String tool = binaries.restore(IpFamily.V4);
    String version;
    try {
      version = context.commands().run(Command.of(tool, "--version")).stdout().strip();
    } catch (CommandException e) {
      return Optional.of("iptables mode needs " + tool + ": " + e.getMessage());
    }
    if (!Versions.atLeast(version, 1, 6, 2)) {
      return Optional.of("iptables mode needs " + tool + " 1.6.2 or newer (for -w), found '"
          + version + "'");
    }
    return Optional.empty();
  }

  @Override
  public Backend create(BackendContext context) {
    IptVariant.Choice choice = IptVariant.choose(context.commands(), context.environment());
    log.info("iptables mode drives {} ({})", choice.binaries().restore(IpFamily.V4), choice.reason());
    return new IptablesBackend(RealIptKernel.forVariant(context.commands(), choice.binaries(),
        nfTables(context, choice.binaries())), context.nanoClock(), localhostNodePorts);
  }

  /** Whether {@code binaries} drive nf_tables: the nft ones, or a system one saying so. */
  static boolean nfTables(BackendContext context, IptBinaries binaries) {
    if (binaries.equals(IptBinaries.nft())) {
      return true;
    }
    if (binaries.equals(IptBinaries.legacy())) {
      return false;
    }
    try {
      return context.commands().run(Command.of(binaries.restore(IpFamily.V4), "--version"))
          .stdout().contains("nf_tables");
    } catch (CommandException e) {
      return false;
    }
  }
}
