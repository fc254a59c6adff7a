package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;

/**
 * The settings of an IPVS virtual service: its scheduler, its persistence timeout in seconds (0 for
 * none; ClientIP affinity) and its scheduler flags (empty, or e.g. {@code mh-port}).
 */
public record ServiceConfig(String scheduler, int persistenceSeconds, String flags) {
  public ServiceConfig {
    checkNotNull(scheduler, "scheduler");
    checkArgument(scheduler.matches("[a-z]{1,16}"), "bad scheduler '%s'", scheduler);
    checkArgument(persistenceSeconds >= 0, "negative persistence %s", persistenceSeconds);
    flags = flags == null ? "" : flags;
    checkArgument(flags.matches("[a-z0-9,-]*"), "bad scheduler flags '%s'", flags);
  }

  /** The ipvsadm options after the service option: {@code -s rr [-b flags] [-p seconds]}. */
  public ImmutableList<String> options() {
    ImmutableList.Builder<String> out = ImmutableList.<String>builder().add("-s", scheduler);
    if (!flags.isEmpty()) {
      out.add("-b", flags);
    }
    if (persistenceSeconds > 0) {
      out.add("-p", Integer.toString(persistenceSeconds));
    }
    return out.build();
  }
}
