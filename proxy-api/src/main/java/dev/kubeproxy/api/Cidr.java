package dev.kubeproxy.api;

/** An IP prefix such as {@code 10.0.0.0/8}; the address is normalised to the network address. */
public final class Cidr implements Comparable<Cidr> {
  private final IpAddress network;
  private final int prefixLength;

  private Cidr(IpAddress network, int prefixLength) {
    this.network = network;
    this.prefixLength = prefixLength;
  }

  /** Parses {@code addr/len} (surrounding whitespace trimmed); a bare address is a host prefix. */
  public static Cidr parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("null is not a CIDR");
    }
    if (!IpAddress.isAscii(text)) {
      throw new IllegalArgumentException(KubernetesNames.quote(text) + " is not a CIDR");
    }
    String trimmed = text.trim();
    int slash = trimmed.indexOf('/');
    IpAddress address = IpAddress.parse(slash < 0 ? trimmed : trimmed.substring(0, slash));
    int max = address.family() == IpFamily.V4 ? 32 : 128;
    int length = max;
    if (slash >= 0) {
      try {
        length = Integer.parseInt(trimmed.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is not a CIDR");
      }
      if (length < 0 || length > max) {
        throw new IllegalArgumentException("'" + text + "' has an invalid prefix length");
      }
    }
    return of(address, length);
  }

  /** Parses a CIDR of an input object's field, naming both on failure. */
  public static Cidr parse(String text, String object, String field) {
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidObjectException(object, field, e.getMessage());
    }
  }

  public static Cidr of(IpAddress address, int prefixLength) {
    byte[] bytes = address.bytes();
    for (int bit = prefixLength; bit < bytes.length * 8; bit++) {
      bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    try {
      return new Cidr(IpAddress.of(java.net.InetAddress.getByAddress(bytes)), prefixLength);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** The prefix that holds only {@code address}. */
  public static Cidr host(IpAddress address) {
    return of(address, address.family() == IpFamily.V4 ? 32 : 128);
  }

  public IpAddress network() {
    return network;
  }

  public int prefixLength() {
    return prefixLength;
  }

  public IpFamily family() {
    return network.family();
  }

  public boolean contains(IpAddress address) {
    if (address.family() != family()) {
      return false;
    }
    byte[] a = address.rawBytes();
    byte[] n = network.rawBytes();
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != n[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (a[full] & mask) == (n[full] & mask);
  }

  @Override
  public int compareTo(Cidr o) {
    int c = network.compareTo(o.network);
    return c != 0 ? c : Integer.compare(prefixLength, o.prefixLength);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr
        && ((Cidr) o).prefixLength == prefixLength
        && ((Cidr) o).network.equals(network);
  }

  @Override
  public int hashCode() {
    return network.hashCode() * 31 + prefixLength;
  }

  @Override
  public String toString() {
    return network + "/" + prefixLength;
  }
}
