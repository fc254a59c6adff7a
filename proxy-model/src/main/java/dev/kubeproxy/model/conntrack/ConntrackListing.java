package dev.kubeproxy.model.conntrack;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses what {@code conntrack -L} prints (plain or {@code -o extended}), one entry a line:
 * {@code [ipv4 2] udp 17 29 src=A dst=B sport=P dport=Q [UNREPLIED] src=.. dst=.. sport=..
 * dport=.. [ASSURED] mark=0 use=1}. The first {@code src/dst/sport/dport} group is the
 * original tuple, the second the reply tuple. A line that does not have that shape is skipped
 * and counted in {@link #malformed()}, never an error: one odd line must not stop a cleanup.
 */
public record ConntrackListing(ImmutableList<ConntrackEntry> entries, int malformed) {
  private static final String[] KEYS = {"src", "dst", "sport", "dport"};

  /** Parses {@code output}; blank lines and the tool's summary line are ignored. */
  public static ConntrackListing parse(String output) {
    List<ConntrackEntry> entries = new ArrayList<>();
    int malformed = 0;
    for (String line : output.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("conntrack v")) {
        continue;
      }
      ConntrackEntry entry = parseLine(trimmed);
      if (entry == null) {
        malformed++;
      } else {
        entries.add(entry);
      }
    }
    return new ConntrackListing(ImmutableList.copyOf(entries), malformed);
  }

  /** The entry of one line, or null when the line is not one. */
  static ConntrackEntry parseLine(String line) {
    String[] tokens = line.split("\\s+");
    int first = tokens[0].equals("ipv4") || tokens[0].equals("ipv6") ? 2 : 0;
    if (tokens.length < first + 2 || !tokens[first].matches("[a-z][a-z0-9-]*")
        || !tokens[first + 1].matches("\\d{1,3}")) {
      return null;
    }
    String protocol = tokens[first];
    // values[tuple][key]: tuple 0 is the original direction, 1 the reply direction.
    String[][] values = new String[2][KEYS.length];
    for (int i = first + 2; i < tokens.length; i++) {
      int eq = tokens[i].indexOf('=');
      if (eq <= 0) {
        continue;
      }
      int key = indexOf(tokens[i].substring(0, eq));
      if (key < 0) {
        continue;
      }
      int tuple = values[0][key] == null ? 0 : 1;
      if (values[tuple][key] != null) {
        return null; // a third src=, dst=, ...: not an entry as we know it
      }
      values[tuple][key] = tokens[i].substring(eq + 1);
    }
    try {
      return new ConntrackEntry(protocol,
          IpAddress.parse(values[0][0]), IpAddress.parse(values[0][1]),
          port(values[0][2]), port(values[0][3]),
          IpAddress.parse(values[1][0]), IpAddress.parse(values[1][1]),
          port(values[1][2]), port(values[1][3]));
    } catch (RuntimeException e) {
      return null; // a missing address, a bad literal, a port out of range, mixed families
    }
  }

  private static int indexOf(String key) {
    for (int i = 0; i < KEYS.length; i++) {
      if (KEYS[i].equals(key)) {
        return i;
      }
    }
    return -1;
  }

  /** A port, or 0 for a protocol without ports; anything but 1..5 digits is refused. */
  private static int port(String value) {
    if (value == null) {
      return 0;
    }
    if (!value.matches("\\d{1,5}")) {
      throw new IllegalArgumentException("not a port: " + value);
    }
    return Integer.parseInt(value);
  }
}
