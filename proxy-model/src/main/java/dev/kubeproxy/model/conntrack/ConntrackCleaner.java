package dev.kubeproxy.model.conntrack;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.command.CommandException;

/**
 * Deletes the stale UDP conntrack entries of one family after a successful sync, given the table
 * just committed (see {@link ConntrackReconciler}). A failure is the sync engine's to log and
 * retry after its next sync, never a sync failure: the rules are already in place.
 */
@FunctionalInterface
public interface ConntrackCleaner {
  /** A cleaner that deletes nothing (for dry runs, embedders and tests). */
  ConntrackCleaner NONE = table -> 0;

  /** Reconciles {@code table}'s family; returns how many stale entries it found. */
  int reconcile(ForwardingTable table) throws CommandException;
}
