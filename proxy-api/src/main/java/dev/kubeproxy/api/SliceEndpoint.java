package dev.kubeproxy.api;

import com.google.common.collect.ImmutableSet;

/**
 * One endpoint of an EndpointSlice with its conditions (already defaulted as the API
 * documents: ready unset means ready, serving unset means ready, terminating unset means
 * false), its node and zone, and its topology hints. Only the first address is used, as
 * upstream does.
 */
public record SliceEndpoint(
    IpAddress address,
    boolean ready,
    boolean serving,
    boolean terminating,
    String nodeName,
    String zone,
    ImmutableSet<String> zoneHints,
    ImmutableSet<String> nodeHints) {

  public SliceEndpoint {
    if (address == null) {
      throw new IllegalArgumentException("address must be set");
    }
    zoneHints = zoneHints == null ? ImmutableSet.of() : zoneHints;
    nodeHints = nodeHints == null ? ImmutableSet.of() : nodeHints;
  }

  /** A ready, serving, non-terminating endpoint on {@code nodeName} with no hints. */
  public static SliceEndpoint ready(IpAddress address, String nodeName) {
    return new SliceEndpoint(address, true, true, false, nodeName, null, null, null);
  }

  /** Applies the API defaults for unset ({@code null}) conditions. */
  public static SliceEndpoint of(
      IpAddress address,
      Boolean ready,
      Boolean serving,
      Boolean terminating,
      String nodeName,
      String zone,
      ImmutableSet<String> zoneHints,
      ImmutableSet<String> nodeHints) {
    boolean isReady = ready == null || ready;
    boolean isServing = serving == null ? isReady : serving;
    boolean isTerminating = terminating != null && terminating;
    return new SliceEndpoint(
        address, isReady, isServing, isTerminating, nodeName, zone, zoneHints, nodeHints);
  }
}
