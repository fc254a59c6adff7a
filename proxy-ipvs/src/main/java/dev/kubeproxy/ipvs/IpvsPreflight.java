package dev.kubeproxy.ipvs;

import dev.kubeproxy.api.backend.kit.Versions;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the IPVS mode needs of the host, checked read-only before it starts: the {@code ip_vs}
 * kernel module loaded, built in ({@code /proc/net/ip_vs} exists, or {@code /proc/modules} lists
 * it) or at least loadable ({@code modprobe -n ip_vs} finds it); {@code ipvsadm}; and {@code ipset}
 * 6.0 or newer (upstream's minimum, the first with IPv6).
 */
public final class IpvsPreflight {
  private IpvsPreflight() {}

  /** Why the IPVS mode cannot run here, as one line, or empty; {@code proc} is usually /proc. */
  public static Optional<String> problem(String kernelRelease, CommandRunner commands, Path proc) {
    if (!ipvsAvailable(commands, proc)) {
      return Optional.of(
          "ipvs mode needs the ip_vs kernel module, which kernel "
              + kernelRelease
              + " has neither loaded nor built in (no "
              + proc.resolve("net/ip_vs")
              + ") nor can load (modprobe -n ip_vs fails)");
    }
    try {
      commands.run(Command.of("ipvsadm", "--version"));
    } catch (CommandException e) {
      return Optional.of("ipvs mode needs the ipvsadm tool: " + firstLine(e.getMessage()));
    }
    String ipset;
    try {
      ipset = commands.run(Command.of("ipset", "version")).stdout().strip();
    } catch (CommandException e) {
      return Optional.of("ipvs mode needs the ipset tool: " + firstLine(e.getMessage()));
    }
    if (!Versions.atLeast(ipset, 6, 0, 0)) {
      return Optional.of("ipvs mode needs ipset 6.0 or newer, found '" + firstLine(ipset) + "'");
    }
    return Optional.empty();
  }

  private static boolean ipvsAvailable(CommandRunner commands, Path proc) {
    if (Files.exists(proc.resolve("net/ip_vs"))) {
      return true;
    }
    try {
      Path modules = proc.resolve("modules");
      if (Files.isReadable(modules)
          && Files.readAllLines(modules).stream().anyMatch(l -> l.startsWith("ip_vs "))) {
        return true;
      }
    } catch (IOException e) {
      // Unreadable: fall through to asking modprobe.
    }
    try {
      commands.run(Command.of("modprobe", "-n", "ip_vs"));
      return true;
    } catch (CommandException e) {
      return false;
    }
  }

  private static String firstLine(String text) {
    String stripped = text.strip();
    int newline = stripped.indexOf('\n');
    return newline < 0 ? stripped : stripped.substring(0, newline);
  }
}
