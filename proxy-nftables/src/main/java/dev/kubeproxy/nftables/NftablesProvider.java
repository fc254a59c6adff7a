package dev.kubeproxy.nftables;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.backend.BackendProvider;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nftables mode for the binary's registry: {@code nft -f -} through the context's runner, or
 * libnftables in process when the runner runs commands in this JVM's own namespace (a plain
 * {@link ProcessCommandRunner}) and the JDK has the foreign-function API.
 */
public final class NftablesProvider implements BackendProvider {
  private static final Logger log = LoggerFactory.getLogger(NftablesProvider.class);
  /** Set to {@code false} to keep every change on the {@code nft} tool even on a JDK 22+. */
  public static final String IN_PROCESS = "KUBE_PROXY_JAVA_NFT_IN_PROCESS";

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
    boolean wanted = !"false".equals(context.environment().get(IN_PROCESS));
    if (!wanted) {
      log.info("nftables changes go through the nft tool ({}=false)", IN_PROCESS);
    }
    Libnftables inProcess = wanted && context.commands() instanceof ProcessCommandRunner
        ? Libnftables.open().orElse(null)
        : null;
    return new NftablesBackend(
        new RealNftKernel(context.commands(), inProcess), context.nanoClock());
  }
}
