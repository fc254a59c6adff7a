package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableSet;

/**
 * What a read of the userspace "kernel" returns before a full sync: the listeners open in the
 * proxy, and the ports a listener failed to bind (someone else holds them), which the compiler
 * then avoids.
 */
public record OpenListeners(ImmutableSet<ListenerSpec> open, ImmutableSet<Integer> unavailablePorts) {
  public static final OpenListeners NONE = new OpenListeners(ImmutableSet.of(), ImmutableSet.of());
}
