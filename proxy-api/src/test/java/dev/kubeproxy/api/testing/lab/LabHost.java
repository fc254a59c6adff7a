package dev.kubeproxy.api.testing.lab;

import dev.kubeproxy.api.command.CommandRunner;
import java.util.List;

/**
 * Where a {@link NetnsLab} lives: the machine this JVM runs on ({@link #local()}), or another
 * kernel reached through a {@link CommandRunner}, such as the IPVS test VM's guest. It runs the
 * lab's {@code ip} commands in its own root namespace and gives each lab namespace an {@link
 * Agent} that serves and sends the test traffic.
 */
public interface LabHost {
  /** Runs commands in the host's own namespace, where the lab's namespaces are created. */
  CommandRunner runner();

  /**
   * Starts the agent of namespace {@code ns}, whose servers answer {@code name}; it speaks
   * {@link LabAgent}'s protocol (one request line in, one answer line out).
   */
  Agent startAgent(String ns, String name);

  /** Kills the processes {@code ip netns pids} named (stragglers before a namespace's delete). */
  void kill(List<Long> pids);

  /**
   * Whether this is the JVM's own machine: only then are leftovers of dead JVMs deleted at
   * build time and open labs closed by a shutdown hook.
   */
  boolean isLocal();

  /** A lab namespace's traffic agent. */
  interface Agent {
    /** Sends one {@link LabAgent} request line and returns its answer line. */
    String call(String request);

    /** Stops the agent (and its servers); no answer is awaited. */
    void close();
  }

  /** The JVM's own machine: {@link LabAgent} JVMs in the namespaces. */
  static LabHost local() {
    return LocalLabHost.INSTANCE;
  }
}
