package dev.kubeproxy.bin;

import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.bin.server.ProxyMetrics;
import dev.kubeproxy.model.conntrack.ConntrackCleaner;
import dev.kubeproxy.model.conntrack.StaleFlow;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes stale UDP flows with the {@code conntrack} tool, one {@code conntrack -D} per flow.
 * The tool exits 1 when no flow matched; that is success here (nothing was stale in the kernel).
 */
final class ConntrackToolCleaner implements ConntrackCleaner {
  private static final Logger log = LoggerFactory.getLogger(ConntrackToolCleaner.class);

  // conntrack -D reports "(conntrack v1.4.7): 3 flow entries have been deleted." on stderr.
  private static final Pattern DELETED = Pattern.compile("(\\d+) flow entries have been deleted");

  private final CommandRunner runner;
  private final ProxyMetrics metrics;

  ConntrackToolCleaner(CommandRunner runner, ProxyMetrics metrics) {
    this.runner = runner;
    this.metrics = metrics;
  }

  @Override
  public void delete(List<StaleFlow> flows) {
    for (StaleFlow flow : flows) {
      try {
        Matcher deleted = DELETED.matcher(runner.run(flow.command()).stderr());
        if (deleted.find()) {
          metrics.conntrackEntriesDeleted(flow.family(), Long.parseLong(deleted.group(1)));
        }
        log.debug("deleted conntrack flows {}", flow);
      } catch (CommandException e) {
        if (e.exitCode() == 1 && e.stderr().contains("0 flow entries")) {
          continue;
        }
        log.warn("could not delete conntrack flows {}: {}", flow, e.getMessage());
      }
    }
  }
}
