package dev.kubeproxy.bin.config;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * How the binary logs: klog's verbosity ({@code -v}, {@code logging.verbosity}) and format
 * ({@code text}, klog-like lines, or {@code json}).
 */
public record LogSettings(int verbosity, String format) {
  public static final LogSettings DEFAULTS = new LogSettings(0, "text");

  public LogSettings {
    checkArgument(verbosity >= 0, "verbosity %s must not be negative", verbosity);
    checkArgument("text".equals(format) || "json".equals(format), "format '%s' is not text or json", format);
  }
}
