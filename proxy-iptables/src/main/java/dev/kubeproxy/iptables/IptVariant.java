package dev.kubeproxy.iptables;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import java.util.Locale;
import java.util.Map;

/**
 * Which iptables the node uses, chosen as upstream's image chooses: the {@code
 * KUBE-IPTABLES-HINT} chain kubelet writes in {@code mangle} names it; otherwise whichever of
 * iptables-legacy and iptables-nft already holds more rules (nft on a tie). {@value #OVERRIDE}
 * ({@code legacy}, {@code nft} or {@code system}) overrides the choice.
 */
public final class IptVariant {
  /** The environment variable that forces a variant. */
  public static final String OVERRIDE = "KUBE_PROXY_JAVA_IPTABLES";

  static final String HINT = "KUBE-IPTABLES-HINT";

  private IptVariant() {}

  /** The binaries to drive, and why they were chosen (for the log). */
  public record Choice(IptBinaries binaries, String reason) {}

  /** Chooses the variant on the node {@code commands} reach. */
  public static Choice choose(CommandRunner commands, Map<String, String> environment) {
    String forced = environment.get(OVERRIDE);
    if (forced != null) {
      return switch (forced.toLowerCase(Locale.ROOT)) {
        case "legacy" -> new Choice(IptBinaries.legacy(), OVERRIDE + "=legacy");
        case "nft" -> new Choice(IptBinaries.nft(), OVERRIDE + "=nft");
        case "system" -> new Choice(IptBinaries.system(), OVERRIDE + "=system");
        default -> throw new IllegalArgumentException(
            OVERRIDE + ": '" + forced + "' is not legacy, nft or system");
      };
    }
    String legacyMangle = save(commands, IptBinaries.legacy(), IpFamily.V4, "mangle");
    String nftMangle = save(commands, IptBinaries.nft(), IpFamily.V4, "mangle");
    if (nftMangle.contains(":" + HINT + " ")) {
      return new Choice(IptBinaries.nft(), HINT + " in iptables-nft's mangle table");
    }
    if (legacyMangle.contains(":" + HINT + " ")) {
      return new Choice(IptBinaries.legacy(), HINT + " in iptables-legacy's mangle table");
    }
    int legacy = rules(commands, IptBinaries.legacy());
    int nft = rules(commands, IptBinaries.nft());
    return legacy > nft
        ? new Choice(IptBinaries.legacy(), "iptables-legacy holds more rules (" + legacy + " to " + nft + ")")
        : new Choice(IptBinaries.nft(), "iptables-nft holds as many rules or more (" + nft + " to " + legacy + ")");
  }

  private static int rules(CommandRunner commands, IptBinaries binaries) {
    int count = 0;
    for (IpFamily family : IpFamily.values()) {
      for (String line : save(commands, binaries, family, null).split("\n")) {
        if (line.startsWith("-A ")) {
          count++;
        }
      }
    }
    return count;
  }

  /** The save output, or empty when that variant's tool is missing or fails. */
  private static String save(
      CommandRunner commands, IptBinaries binaries, IpFamily family, String table) {
    try {
      Command command = table == null
          ? Command.of(binaries.save(family))
          : Command.of(binaries.save(family), "-t", table);
      return commands.run(command).stdout();
    } catch (CommandException e) {
      return "";
    }
  }
}
