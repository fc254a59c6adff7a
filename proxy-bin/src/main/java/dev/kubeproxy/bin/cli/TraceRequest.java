package dev.kubeproxy.bin.cli;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import java.util.Locale;

/**
 * The packet {@code trace} asks about: source address, destination address, port and
 * protocol, and where it enters the node from.
 */
public record TraceRequest(
    IpAddress source, IpAddress destination, int port, Protocol protocol, Origin origin) {

  /** Where the packet comes from: a pod on this node, the node itself, or outside the node. */
  public enum Origin {
    POD,
    NODE,
    EXTERNAL;

    /** Parses {@code pod}, {@code node} or {@code external} (any case). */
    static Origin parse(String text) {
      for (Origin o : values()) {
        if (o.name().equalsIgnoreCase(text)) {
          return o;
        }
      }
      throw new IllegalArgumentException("'" + text + "' is not one of pod, node, external");
    }
  }

  public TraceRequest {
    checkArgument(source.family() == destination.family(),
        "source %s and destination %s are of different IP families", source, destination);
    checkArgument(port >= 1 && port <= 65535, "port %s is outside 1..65535", port);
  }

  /** The destination of {@code --to}: {@code ADDR:PORT/PROTO}, IPv6 as {@code [ADDR]:PORT/PROTO}; PROTO defaults to TCP. */
  record Destination(IpAddress address, int port, Protocol protocol) {
    static Destination parse(String text) {
      String rest = text.strip();
      Protocol protocol = Protocol.TCP;
      int slash = rest.lastIndexOf('/');
      if (slash >= 0) {
        String name = rest.substring(slash + 1).toUpperCase(Locale.ROOT);
        try {
          protocol = Protocol.valueOf(name);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("'" + rest.substring(slash + 1) + "' is not tcp, udp or sctp");
        }
        rest = rest.substring(0, slash);
      }
      String host;
      String port;
      if (rest.startsWith("[")) {
        int close = rest.indexOf("]:");
        checkArgument(close > 0, "'%s' is not [ADDR]:PORT/PROTO", text);
        host = rest.substring(1, close);
        port = rest.substring(close + 2);
      } else {
        int colon = rest.lastIndexOf(':');
        checkArgument(colon > 0 && rest.indexOf(':') == colon,
            "'%s' is not ADDR:PORT/PROTO (write IPv6 as [ADDR]:PORT/PROTO)", text);
        host = rest.substring(0, colon);
        port = rest.substring(colon + 1);
      }
      int number;
      try {
        number = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + port + "' is not a port number");
      }
      checkArgument(number >= 1 && number <= 65535, "port %s is outside 1..65535", number);
      return new Destination(IpAddress.parse(host), number, protocol);
    }
  }
}
