package dev.kubeproxy.api.backend;

import com.google.common.collect.ImmutableList;

/**
 * One sync: a {@link TableChange} per IP family the proxy runs. When {@code full} is set the
 * backend must rewrite everything it owns from {@code next} alone (start, after a failure,
 * periodically), ignoring what it remembers of earlier commits.
 */
public record SyncRequest(ImmutableList<TableChange> changes, boolean full) {
  public SyncRequest {
    if (changes == null) {
      throw new IllegalArgumentException("changes must be set");
    }
  }

  public static SyncRequest full(TableChange... changes) {
    return new SyncRequest(ImmutableList.copyOf(changes), true);
  }

  public static SyncRequest partial(TableChange... changes) {
    return new SyncRequest(ImmutableList.copyOf(changes), false);
  }
}
