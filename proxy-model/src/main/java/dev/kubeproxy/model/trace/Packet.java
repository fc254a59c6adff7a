package dev.kubeproxy.model.trace;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import java.util.Objects;

/**
 * The first packet of a connection, as {@link Trace} sees it: addresses, destination port,
 * protocol and where it arrives from.
 *
 * <p>How origin and addresses interact: a source that is one of the table's node addresses is
 * always host traffic ({@link Origin#NODE}), whatever origin is given. Otherwise the origin is
 * taken as given; it matters in two places only: {@link Origin#NODE} marks host traffic (which
 * eTP=Local short-circuits and masquerades), and the interface-based local-traffic detectors
 * count a packet as local-pod traffic exactly when its origin is {@link Origin#POD}. The
 * CIDR-based detectors look at the source address alone.
 */
public record Packet(
    IpAddress source, IpAddress destination, int port, Protocol protocol, Origin origin) {

  /** Where a packet enters the node's rules from. */
  public enum Origin {
    /** From a pod on this node (arrives through its interface, e.g. the bridge). */
    POD,
    /** From the node itself (a host process; nft's {@code fib saddr type local}). */
    NODE,
    /** From outside the node (another node, a client on the network). */
    EXTERNAL;

    String describe() {
      return switch (this) {
        case POD -> "a local pod";
        case NODE -> "the node";
        case EXTERNAL -> "outside the node";
      };
    }
  }

  public Packet {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(origin, "origin");
    checkArgument(
        source.family() == destination.family(),
        "source %s and destination %s are of different families", source, destination);
    checkArgument(port >= 1 && port <= 65535, "port %s is outside 1..65535", port);
  }

  public static Packet fromPod(String source, String destination, int port, Protocol protocol) {
    return new Packet(
        IpAddress.parse(source), IpAddress.parse(destination), port, protocol, Origin.POD);
  }

  public static Packet fromNode(String source, String destination, int port, Protocol protocol) {
    return new Packet(
        IpAddress.parse(source), IpAddress.parse(destination), port, protocol, Origin.NODE);
  }

  public static Packet fromOutside(String source, String destination, int port, Protocol protocol) {
    return new Packet(
        IpAddress.parse(source), IpAddress.parse(destination), port, protocol, Origin.EXTERNAL);
  }

  @Override
  public String toString() {
    return source + " -> " + destination.withPort(port) + "/" + protocol + " from " + origin.describe();
  }
}
