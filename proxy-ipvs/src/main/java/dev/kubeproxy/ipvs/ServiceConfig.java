package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import java.util.regex.Pattern;

/**
 * The settings of an IPVS virtual service: its scheduler, its persistence timeout in seconds (0 for
 * none; ClientIP affinity) and its scheduler flags (empty, or e.g. {@code mh-port}).
 */
public record ServiceConfig(String scheduler, int persistenceSeconds, String flags) {
  private static final Pattern SCHEDULER = Pattern.compile("[a-z]{1,16}");
  private static final Pattern FLAGS = Pattern.compile("[a-z0-9,-]*");

  public ServiceConfig {
    checkNotNull(scheduler, "scheduler");
    checkArgument(SCHEDULER.matcher(scheduler).matches(), "bad scheduler '%s'", scheduler);
    checkArgument(persistenceSeconds >= 0, "negative persistence %s", persistenceSeconds);
    flags = flags == null ? "" : flags;
    checkArgument(FLAGS.matcher(flags).matches(), "bad scheduler flags '%s'", flags);
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
