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

  /** Parses a literal; throws {@link IllegalArgumentException} if it is not one. */
  public static IpAddress parse(String literal) {
    if (literal == null || literal.isEmpty() || literal.indexOf('%') >= 0) {
      throw new IllegalArgumentException("'" + literal + "' is not an IP address");
    }
    InetAddress parsed;
    try {
      parsed = InetAddresses.forString(literal);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + literal + "' is not an IP address");
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

  /** Whether {@code literal} parses as an IP address. */
  public static boolean isValid(String literal) {
    return literal != null && literal.indexOf('%') < 0 && InetAddresses.isInetAddress(literal);
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
