package dev.kubeproxy.ipvs;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.BackendContext;
import dev.kubeproxy.api.backend.BackendProvider;
import dev.kubeproxy.api.backend.kit.Versions;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The IPVS mode for the binary's registry: the tools through the context's runner, the preflight of
 * {@link IpvsPreflight} against this host's {@code /proc}.
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
    return new IpvsBackend(
        new RealIpvsKernel(context.commands()),
        config.withConnReuseModeZero(needsConnReuseModeZero(context.kernelRelease())),
        context.nanoClock());
  }

  /**
   * Whether {@code conn_reuse_mode} must be 0, as upstream decides: from kernel 4.1, where the
   * setting appeared, until 5.9 fixed the slow-reconnect problem it works around.
   */
  static boolean needsConnReuseModeZero(String kernelRelease) {
    return Versions.atLeast(kernelRelease, 4, 1, 0) && !Versions.atLeast(kernelRelease, 5, 9, 0);
  }
}
