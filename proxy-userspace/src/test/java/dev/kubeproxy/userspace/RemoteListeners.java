package dev.kubeproxy.userspace;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.testing.lab.NamespaceJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/**
 * Listeners in a {@link ListenerAgent} child JVM started under {@code ip netns exec NS}: how a
 * test JVM, which stays in the machine's own namespace, runs node-mode listeners in a lab's
 * node namespace. {@link #stop()} ends the agent.
 */
final class RemoteListeners implements Listeners {
  private final NamespaceJvm agent;

  private RemoteListeners(NamespaceJvm agent) {
    this.agent = agent;
  }

  /** Starts an agent in network namespace {@code netns} and waits for it to be ready. */
  static RemoteListeners startIn(String netns) throws IOException {
    return new RemoteListeners(NamespaceJvm.start(netns, ListenerAgent.class, NamespaceJvm.SMALL,
        ListenerAgent.READY, Files.createTempFile("listener-agent-", ".log")));
  }

  @Override
  public synchronized void put(ListenerSpec spec, EndpointList endpoints, SessionAffinity affinity)
      throws IOException {
    String answer = call(ListenerCodec.put(spec, endpoints, affinity));
    if (!answer.equals("ok")) {
      throw new IOException(answer);
    }
  }

  @Override
  public synchronized void remove(ListenerSpec spec) {
    checkOk(call("remove\t" + ListenerCodec.spec(spec)));
  }

  @Override
  public synchronized ImmutableSet<ListenerSpec> specs(IpFamily family) {
    checkOk(call("specs\t" + family.name()));
    ImmutableSet.Builder<ListenerSpec> out = ImmutableSet.builder();
    for (String line = readLine(); !line.equals("end"); line = readLine()) {
      out.add(ListenerCodec.spec(ListenerCodec.fields(line)));
    }
    return out.build();
  }

  /** Each open listener of {@code family} with what it was last given (endpoints, affinity) as text. */
  synchronized ImmutableMap<ListenerSpec, String> targets(IpFamily family) {
    checkOk(call("targets\t" + family.name()));
    ImmutableMap.Builder<ListenerSpec, String> out = ImmutableMap.builder();
    for (String line = readLine(); !line.equals("end"); line = readLine()) {
      List<String> f = ListenerCodec.fields(line);
      out.put(ListenerCodec.spec(f.subList(0, ListenerCodec.SPEC_FIELDS)), f.get(ListenerCodec.SPEC_FIELDS));
    }
    return out.build();
  }

  /** Ends the agent, closing its listeners. */
  synchronized void stop() {
    agent.stop();
  }

  /** Closes every listener in the agent; the agent keeps running. */
  @Override
  public synchronized void close() {
    checkOk(call("close"));
  }

  private String call(String line) {
    return agent.call(line);
  }

  private String readLine() {
    return agent.readLine();
  }

  private static void checkOk(String answer) {
    checkState(answer.equals("ok"), "listener agent: %s", answer);
  }
}
