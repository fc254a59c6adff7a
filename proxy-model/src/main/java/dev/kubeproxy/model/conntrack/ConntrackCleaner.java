package dev.kubeproxy.model.conntrack;

import java.util.List;

/**
 * Deletes stale UDP conntrack flows after a successful sync. The sync engine hands it the
 * flows {@link StaleFlows} computed; a failure to delete is the cleaner's to log, never the
 * sync's (the rules are already in place).
 */
@FunctionalInterface
public interface ConntrackCleaner {
  /** A cleaner that deletes nothing (for dry runs and tests). */
  ConntrackCleaner NONE = flows -> {};

  void delete(List<StaleFlow> flows);
}
