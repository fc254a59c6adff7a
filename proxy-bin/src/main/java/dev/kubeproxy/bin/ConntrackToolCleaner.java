package dev.kubeproxy.bin;

import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.model.conntrack.ConntrackCleaner;
import dev.kubeproxy.model.conntrack.StaleFlow;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes stale UDP flows with the {@code conntrack} tool, one {@code conntrack -D} per flow.
 * The tool exits 1 when no flow matched; that is success here (nothing was stale in the kernel).
 */
final class ConntrackToolCleaner implements ConntrackCleaner {
  private static final Logger log = LoggerFactory.getLogger(ConntrackToolCleaner.class);

  private final CommandRunner runner;

  ConntrackToolCleaner(CommandRunner runner) {
    this.runner = runner;
  }

  @Override
  public void delete(List<StaleFlow> flows) {
    for (StaleFlow flow : flows) {
      try {
        runner.run(flow.command());
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
