package dev.kubeproxy.bin;

import java.io.PrintWriter;

/**
 * Where the binary meets the engine: runs the proxy (sync loop, backend, servers, sources)
 * and answers {@code trace}. The sync engine, the model's Trace and the nftables backend are
 * not part of this build yet, so both say so and exit 2 instead of pretending to work.
 */
public final class ProxyRunner {
  /** Exit code for an action this build cannot perform yet. */
  public static final int NOT_WIRED = 2;

  private final PrintWriter out;
  private final PrintWriter err;

  /**
   * @param out where {@code --dry-run} and {@code trace} print their results
   * @param err where the one-line failure reason goes
   */
  public ProxyRunner(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  /**
   * Runs the proxy with {@code config}; {@code manifests} is the offline source (already
   * loaded once), or null to use the API server ({@code kubeconfig}, {@code master} or
   * in-cluster). Returns the process exit code.
   */
  public int run(EffectiveConfig config, ManifestSource manifests) {
    err.println(
        Main.NAME + ": running the proxy (" + action(config)
            + ") is not wired into this build yet: the sync engine and the nftables backend are missing");
    err.flush();
    return NOT_WIRED;
  }

  /** Prints what the model's trace says of {@code request} on the node {@code config} describes. */
  public int trace(EffectiveConfig config, ManifestSource manifests, TraceRequest request) {
    err.println(Main.NAME + ": trace is not wired into this build yet: the model's Trace is missing");
    err.flush();
    return NOT_WIRED;
  }

  private static String action(EffectiveConfig config) {
    if (config.cleanup()) {
      return "--cleanup";
    }
    if (config.dryRun()) {
      return "--dry-run";
    }
    return config.once() ? "--once" : "sync loop";
  }
}
