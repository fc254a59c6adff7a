package dev.kubeproxy.api;

import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IP address literal (never a host name: parsing does no DNS). Prints in canonical form
 * ({@code 10.0.0.1}, {@code fd00::1}); orders IPv4 before IPv6, then by bytes.
 */
public final class IpAddress implements Comparable<IpAddress> {
  private final InetAddress address;
  private final byte[] bytes;
  private final String text;

  private IpAddress(InetAddress address) {
    this.address = address;
    this.bytes = address.getAddress();
    this.text = InetAddresses.toAddrString(address);
  }

  /**
   * Parses a literal (ASCII only: Unicode digits are not read as digits); throws {@link
   * IllegalArgumentException} if it is not one.
   */
  public static IpAddress parse(String literal) {
    if (literal == null || literal.isEmpty() || literal.indexOf('%') >= 0 || !isAscii(literal)) {
      throw new IllegalArgumentException(KubernetesNames.quote(literal) + " is not an IP address");
    }
    InetAddress parsed;
    try {
      parsed = InetAddresses.forString(literal);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(KubernetesNames.quote(literal) + " is not an IP address");
    }
    return new IpAddress(parsed);
  }

  /** Parses a literal of an input object's field, naming both on failure. */
  public static IpAddress parse(String literal, String object, String field) {
    try {
      return parse(literal);
    } catch (IllegalArgumentException e) {
      throw new InvalidObjectException(object, field, e.getMessage());
    }
  }

  /**
   * Parses a literal of a field the API server refuses special addresses in (endpoints,
   * externalIPs): unspecified, loopback, link-local and link-local multicast are refused, naming
   * the object and the field.
   */
  public static IpAddress parseNonSpecial(String literal, String object, String field) {
    IpAddress address = parse(literal, object, field);
    String special = address.specialRange();
    if (special != null) {
      throw new InvalidObjectException(object, field, "'" + address + "' may not be " + special);
    }
    return address;
  }

  /** Whether {@code literal} parses as an IP address. */
  public static boolean isValid(String literal) {
    return literal != null
        && literal.indexOf('%') < 0
        && isAscii(literal)
        && InetAddresses.isInetAddress(literal);
  }

  /**
   * The special range this address is in, as the API server names it when it refuses one as an
   * endpoint or external IP (e.g. {@code in the loopback range (127.0.0.0/8, ::1/128)}), or null.
   */
  public String specialRange() {
    if (address.isAnyLocalAddress()) {
      return "unspecified (0.0.0.0, ::)";
    }
    if (address.isLoopbackAddress()) {
      return "in the loopback range (127.0.0.0/8, ::1/128)";
    }
    if (address.isLinkLocalAddress()) {
      return "in the link-local range (169.254.0.0/16, fe80::/10)";
    }
    if (isLinkLocalMulticast()) {
      return "in the link-local multicast range (224.0.0.0/24, ff02::/16)";
    }
    return null;
  }

  private boolean isLinkLocalMulticast() {
    if (family() == IpFamily.V4) {
      return (bytes[0] & 0xff) == 224 && bytes[1] == 0 && bytes[2] == 0;
    }
    return (bytes[0] & 0xff) == 0xff && (bytes[1] & 0x0f) == 0x02;
  }

  static boolean isAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) > 0x7e) {
        return false;
      }
    }
    return true;
  }

  public static IpAddress of(InetAddress address) {
    return new IpAddress(address);
  }

  public IpFamily family() {
    return address instanceof Inet4Address ? IpFamily.V4 : IpFamily.V6;
  }

  public boolean isLoopback() {
    return address.isLoopbackAddress();
  }

  public InetAddress toInetAddress() {
    return address;
  }

  /** A copy of the address bytes (4 or 16). */
  public byte[] bytes() {
    return bytes.clone();
  }

  byte[] rawBytes() {
    return bytes;
  }

  /** {@code ip:port}, with IPv6 bracketed, as upstream's endpoint strings. */
  public String withPort(int port) {
    return family() == IpFamily.V4 ? text + ":" + port : "[" + text + "]:" + port;
  }

  @Override
  public int compareTo(IpAddress other) {
    if (bytes.length != other.bytes.length) {
      return Integer.compare(bytes.length, other.bytes.length);
    }
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpAddress && Arrays.equals(bytes, ((IpAddress) o).bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return text;
  }
}
