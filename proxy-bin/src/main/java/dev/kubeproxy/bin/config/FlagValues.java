package dev.kubeproxy.bin.config;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Maps;
import java.util.Map;

/**
 * The flags given on the command line, by long name ({@code --cluster-cidr}) with their text as
 * given; a flag not used is absent, so that the config file's value or the default applies.
 * Values are validated by {@link ConfigResolver}, which names the flag in its errors.
 */
public record FlagValues(ImmutableMap<String, String> given) {
  /** No flag given. */
  public static final FlagValues NONE = new FlagValues(ImmutableMap.of());

  /**
   * The flags that still apply when {@code --config} is given: upstream's
   * {@code --hostname-override}, logging flags and process switches, and this proxy's own flags.
   */
  public static final ImmutableSet<String> BESIDE_CONFIG_FILE =
      ImmutableSet.of(
          "--config", "--hostname-override", "--master", "--cleanup", "--init-only",
          "--write-config-to", "-v", "--logging-format", "--vmodule", "--log-flush-frequency",
          "--log-json-info-buffer-size", "--log-json-split-stream", "--log-text-info-buffer-size",
          "--log-text-split-stream", "--node-ip", "--manifests", "--once", "--dry-run");

  public FlagValues {
    checkArgument(given != null, "given must be set");
    given.keySet().forEach(name -> checkArgument(name.startsWith("-"), "not a flag name: %s", name));
  }

  /** The given flags, e.g. {@code Map.of("--cluster-cidr", "10.244.0.0/16")}. */
  public static FlagValues of(Map<String, String> given) {
    return new FlagValues(ImmutableMap.copyOf(given));
  }

  /** The flag's text, or null when it was not given. */
  public String get(String name) {
    return given.get(name);
  }

  /** Whether the flag was given. */
  public boolean has(String name) {
    return given.containsKey(name);
  }

  /** A switch: given without a value or as {@code true}. */
  public boolean isOn(String name) {
    return "true".equalsIgnoreCase(given.get(name));
  }

  /** The flags a config file does not replace (see {@link #BESIDE_CONFIG_FILE}). */
  public FlagValues besideConfigFile() {
    return new FlagValues(
        ImmutableMap.copyOf(Maps.filterKeys(given, BESIDE_CONFIG_FILE::contains)));
  }

  /** The given flags a config file replaces, which are therefore ignored with {@code --config}. */
  public ImmutableSet<String> replacedByConfigFile() {
    return given.keySet().stream()
        .filter(name -> !BESIDE_CONFIG_FILE.contains(name))
        .collect(ImmutableSet.toImmutableSet());
  }
}
