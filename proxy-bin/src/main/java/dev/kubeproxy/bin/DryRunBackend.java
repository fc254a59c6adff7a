package dev.kubeproxy.bin;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import java.io.PrintWriter;

/**
 * {@code --dry-run}: each sync prints what the backend would send its kernel tool (its
 * {@link Backend#render}) instead of applying it. Nothing is read or run.
 */
final class DryRunBackend implements Backend {
  private final Backend backend;
  private final PrintWriter out;

  DryRunBackend(Backend backend, PrintWriter out) {
    this.backend = backend;
    this.out = out;
  }

  @Override
  public String mode() {
    return backend.mode();
  }

  @Override
  public SyncResult sync(SyncRequest request) throws SyncException {
    String text = backend.render(request);
    out.print(text);
    out.flush();
    return SyncResult.NOTHING;
  }

  @Override
  public String render(SyncRequest request) throws SyncException {
    return backend.render(request);
  }

  @Override
  public void cleanup() {
    // A dry run removes nothing.
  }
}
