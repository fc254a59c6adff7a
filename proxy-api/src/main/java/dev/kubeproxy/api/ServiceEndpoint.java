package dev.kubeproxy.api;

/**
 * An endpoint in the forwarding table: where traffic is DNATed to. {@code local} is true when
 * it runs on this node; {@code otherNode} when its EndpointSlice names another node (neither
 * when it names none); {@code terminating} is true when it is a serving-but-terminating
 * endpoint used only because no ready one exists. {@link #toString()} is {@code ip:port}, the
 * string upstream orders endpoints by.
 */
public record ServiceEndpoint(
    IpAddress address, int port, boolean local, boolean otherNode, boolean terminating)
    implements Comparable<ServiceEndpoint> {
  public ServiceEndpoint {
    if (address == null) {
      throw new IllegalArgumentException("address must be set");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1..65535");
    }
    if (local && otherNode) {
      throw new IllegalArgumentException("an endpoint cannot be local and on another node");
    }
  }

  /** An endpoint on this node ({@code local}) or on an unnamed one. */
  public ServiceEndpoint(IpAddress address, int port, boolean local, boolean terminating) {
    this(address, port, local, false, terminating);
  }

  /**
   * Whether traffic from this endpoint can reach a service on this node and land back on the
   * endpoint (hairpin): anywhere but on another named node, whose own proxy handles its traffic.
   */
  public boolean mayHairpinHere() {
    return !otherNode;
  }

  /**
   * Upstream's load-balancing order: by the {@code ip:port} string (so {@code 10.1.1.11:80}
   * sorts before {@code 10.1.1.1:80}). Compares as if the strings were built, without building
   * them: sorting is on the hot path of a full build.
   */
  @Override
  public int compareTo(ServiceEndpoint o) {
    String a = address.toString();
    String b = o.address.toString();
    boolean v6 = address.family() == IpFamily.V6;
    boolean otherV6 = o.address.family() == IpFamily.V6;
    if (v6 != otherV6) {
      // "[..." sorts after any digit; IPv4 and IPv6 never share a list, but stay consistent.
      return v6 ? 1 : -1;
    }
    int common = Math.min(a.length(), b.length());
    for (int i = 0; i < common; i++) {
      if (a.charAt(i) != b.charAt(i)) {
        return Character.compare(a.charAt(i), b.charAt(i));
      }
    }
    if (a.length() == b.length()) {
      return Integer.toString(port).compareTo(Integer.toString(o.port));
    }
    // One address is a prefix of the other: the shorter one continues with its separator.
    char separator = v6 ? ']' : ':';
    return a.length() < b.length()
        ? Character.compare(separator, b.charAt(common))
        : Character.compare(a.charAt(common), separator);
  }

  @Override
  public String toString() {
    return address.withPort(port);
  }
}
