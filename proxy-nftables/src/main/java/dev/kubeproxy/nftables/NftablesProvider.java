package dev.kubeproxy.nftables;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.backend.BackendProvider;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import java.util.Optional;

/**
 * The nftables mode for the binary's registry: {@code nft -f -} through the context's runner, or
 * libnftables in process when the runner runs commands in this JVM's own namespace (a plain
 * {@link ProcessCommandRunner}) and the JDK has the foreign-function API.
 */
public final class NftablesProvider implements BackendProvider {
  @Override
  public String mode() {
    return NftablesBackend.MODE;
  }

  @Override
  public Optional<String> preflight(BackendContext context) {
    return NftablesPreflight.problem(
        context.kernelRelease(),
        context.environment().containsKey(NftablesPreflight.SKIP_KERNEL_CHECK),
        context.commands());
  }

  @Override
  public Backend create(BackendContext context) {
    Libnftables inProcess = context.commands() instanceof ProcessCommandRunner
        ? Libnftables.open().orElse(null)
        : null;
    return new NftablesBackend(
        new RealNftKernel(context.commands(), inProcess), context.nanoClock());
  }
}
