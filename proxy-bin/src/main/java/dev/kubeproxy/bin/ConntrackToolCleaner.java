package dev.kubeproxy.bin;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.bin.server.ProxyMetrics;
import dev.kubeproxy.model.conntrack.ConntrackCleaner;
import dev.kubeproxy.model.conntrack.ConntrackTool;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles UDP conntrack entries with the {@code conntrack} tool ({@link ConntrackTool}: one
 * listing and at most one batched delete per family) and records upstream's reconciler metrics:
 * the duration, also when the tool failed, and the entries deleted.
 */
final class ConntrackToolCleaner implements ConntrackCleaner {
  private static final Logger log = LoggerFactory.getLogger(ConntrackToolCleaner.class);

  private final ConntrackTool tool;
  private final ProxyMetrics metrics;

  ConntrackToolCleaner(CommandRunner runner, ProxyMetrics metrics) {
    this.tool = new ConntrackTool(runner);
    this.metrics = metrics;
  }

  @Override
  public int reconcile(ForwardingTable table) throws CommandException {
    long start = System.nanoTime();
    try {
      ConntrackTool.Outcome outcome = tool.reconcile(table);
      metrics.conntrackEntriesDeleted(table.family(), outcome.deleted());
      if (outcome.malformed() > 0) {
        log.warn("skipped {} conntrack lines that could not be parsed", outcome.malformed());
      }
      log.debug("reconciled {} conntrack entries: {}", table.family(), outcome);
      return outcome.stale();
    } finally {
      metrics.conntrackReconciled(table.family(), Duration.ofNanos(System.nanoTime() - start));
    }
  }
}
