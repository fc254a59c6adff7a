package dev.kubeproxy.api.backend;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServicePortKey;
import java.util.Objects;

/**
 * The change of one IP family's table since the last successful sync: the previous table (as
 * last committed), the next one, and the keys whose entries may differ. A key absent from
 * {@code next} was deleted. A backend doing a partial sync looks only at {@code changedKeys}.
 */
public record TableChange(
    IpFamily family,
    ForwardingTable previous,
    ForwardingTable next,
    ImmutableSet<ServicePortKey> changedKeys) {

  public TableChange {
    Objects.requireNonNull(family);
    Objects.requireNonNull(previous);
    Objects.requireNonNull(next);
    Objects.requireNonNull(changedKeys);
    if (previous.family() != family || next.family() != family) {
      throw new IllegalArgumentException("tables must be of family " + family);
    }
  }

  /** A change from an empty table to {@code next}, every key changed. */
  public static TableChange initial(ForwardingTable next) {
    return new TableChange(
        next.family(),
        ForwardingTable.empty(next.family()),
        next,
        ImmutableSet.copyOf(next.entries().keySet()));
  }
}
