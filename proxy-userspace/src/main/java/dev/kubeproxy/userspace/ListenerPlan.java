package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ServiceEntry;

/**
 * Decides which listeners a service entry gets: embedded, one per bind address
 * ({@link EmbeddedPlan}); on a node, those the redirect rules point at.
 */
public interface ListenerPlan {
  /** The listeners of {@code entry}, all of the entry's key and IP family; empty for none. */
  ImmutableSet<ListenerSpec> listenersFor(ServiceEntry entry);
}
