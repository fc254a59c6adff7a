package dev.kubeproxy.bin.config;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.IpAddress;

/** An IP address and a port a server binds to, written {@code 0.0.0.0:10256} or {@code [::]:10256}. */
public record HostPort(IpAddress address, int port) {
  public HostPort {
    checkArgument(address != null, "address must be set");
    checkArgument(port >= 0 && port <= 65535, "port %s is outside 0..65535", port);
  }

  /**
   * Parses {@code ip:port} ({@code [ip]:port} for IPv6) or a bare IP, which gets
   * {@code defaultPort}; throws {@link IllegalArgumentException} saying what is wrong.
   */
  public static HostPort parse(String text, int defaultPort) {
    String host = text;
    String port = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      checkArgument(close > 0, "'%s' has no closing ']'", text);
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty()) {
        checkArgument(rest.startsWith(":"), "'%s' is not [address]:port", text);
        port = rest.substring(1);
      }
    } else if (text.indexOf(':') == text.lastIndexOf(':') && text.indexOf(':') >= 0) {
      host = text.substring(0, text.indexOf(':'));
      port = text.substring(text.indexOf(':') + 1);
    }
    IpAddress address = IpAddress.parse(host);
    if (port == null) {
      return new HostPort(address, defaultPort);
    }
    try {
      return new HostPort(address, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + port + "' is not a port number");
    }
  }

  @Override
  public String toString() {
    return address.withPort(port);
  }
}
