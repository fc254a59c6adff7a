package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.SessionAffinity;
import java.io.IOException;

/**
 * Where {@link ProxyKernel} opens, retargets and closes listeners: the in-process {@link
 * UserspaceProxy}, or (in tests) a proxy running in another network namespace.
 */
interface Listeners {
  /** Opens the listener of {@code spec}, or updates it to {@code endpoints} and {@code affinity}. */
  void put(ListenerSpec spec, EndpointList endpoints, SessionAffinity affinity) throws IOException;

  /** Closes the listener of {@code spec} and cuts its connections, if it exists. */
  void remove(ListenerSpec spec);

  /** The specs of the open listeners of {@code family}. */
  ImmutableSet<ListenerSpec> specs(IpFamily family);

  /** Closes every listener and connection. */
  void close();
}
