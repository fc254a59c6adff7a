package dev.kubeproxy.ipvs;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.backend.BackendProvider;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The IPVS mode for the binary's registry: the tools through the context's runner, the preflight
 * of {@link IpvsPreflight} against this host's {@code /proc}.
 */
public final class IpvsProvider implements BackendProvider {
  private final IpvsConfig config;
  private final Path proc;

  /** The mode with upstream's defaults (scheduler rr). */
  public IpvsProvider() {
    this(IpvsConfig.DEFAULT, Path.of("/proc"));
  }

  public IpvsProvider(IpvsConfig config, Path proc) {
    this.config = Objects.requireNonNull(config);
    this.proc = Objects.requireNonNull(proc);
  }

  @Override
  public String mode() {
    return IpvsBackend.MODE;
  }

  @Override
  public Optional<String> preflight(BackendContext context) {
    return IpvsPreflight.problem(context.kernelRelease(), context.commands(), proc);
  }

  @Override
  public Backend create(BackendContext context) {
    return new IpvsBackend(new RealIpvsKernel(context.commands()), config, context.nanoClock());
  }
}
