package dev.kubeproxy.bin.cli;

import dev.kubeproxy.bin.config.FlagValues;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The flags a command line gave, by long name, as {@link FlagValues}. */
final class ParsedFlags {
  private ParsedFlags() {}

  /** The options {@code spec}'s last parse matched; {@code --v} is reported as {@code -v}. */
  static FlagValues of(CommandSpec spec) {
    Map<String, String> given = new LinkedHashMap<>();
    for (OptionSpec option : spec.commandLine().getParseResult().matchedOptions()) {
      String name = option.longestName().equals("--v") ? "-v" : option.longestName();
      Object value = option.getValue();
      given.put(name, value == null ? "true" : value.toString());
    }
    return FlagValues.of(given);
  }
}
