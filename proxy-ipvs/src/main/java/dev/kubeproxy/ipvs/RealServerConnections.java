package dev.kubeproxy.ipvs;

import dev.kubeproxy.api.IpFamily;
import java.util.Collection;
import java.util.Map;

/**
 * How many connections (active plus inactive) the kernel still tracks for drained real servers, so
 * that graceful termination deletes each one only once nobody uses it. The real kernel reads {@code
 * ipvsadm -Ln}; the fake is told.
 */
public interface RealServerConnections {
  /**
   * The connection count of each of {@code servers} the kernel still holds; a server missing from
   * the result is gone from the kernel.
   *
   * @throws IllegalStateException when the kernel cannot be read
   */
  Map<RealServer, Integer> connections(IpFamily family, Collection<RealServer> servers);

  /** A kernel where no connection ever remains: drained servers go at the next check. */
  RealServerConnections NONE =
      (family, servers) -> {
        Map<RealServer, Integer> out = new java.util.HashMap<>();
        for (RealServer s : servers) {
          out.put(s, 0);
        }
        return out;
      };
}
