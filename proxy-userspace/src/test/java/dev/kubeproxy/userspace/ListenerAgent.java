package dev.kubeproxy.userspace;

import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.SessionAffinity;
import dev.kubeproxy.api.testing.lab.NamespaceJvm;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A userspace proxy in a child JVM, started by {@link RemoteListeners} inside a lab namespace
 * ({@code ip netns exec}) so that its listeners and outgoing connections live there. One
 * command line in ({@link ListenerCodec}), one answer out; it exits when stdin closes.
 */
public final class ListenerAgent {
  public static final String READY = "ready";

  private ListenerAgent() {}

  public static void main(String[] args) throws IOException {
    UserspaceProxy proxy = new UserspaceProxy(UserspaceConfig.defaults().withThreads(2), System::nanoTime);
    // What each open listener was last given, for the "targets" command.
    Map<ListenerSpec, String> targets = new HashMap<>();
    NamespaceJvm.serve(READY, line -> {
      List<String> f = ListenerCodec.fields(line);
      switch (f.get(0)) {
        case "put" -> {
          int s = 1 + ListenerCodec.SPEC_FIELDS;
          ListenerSpec spec = ListenerCodec.spec(f.subList(1, s));
          EndpointList endpoints = ListenerCodec.endpoints(f.get(s), f.get(s + 1));
          SessionAffinity affinity = ListenerCodec.affinity(f.get(s + 2), f.get(s + 3));
          proxy.put(spec, endpoints, affinity);
          targets.put(spec, target(endpoints, affinity));
          return "ok";
        }
        case "remove" -> {
          ListenerSpec spec = ListenerCodec.spec(f.subList(1, 1 + ListenerCodec.SPEC_FIELDS));
          proxy.remove(spec);
          targets.remove(spec);
          return "ok";
        }
        case "targets" -> {
          StringBuilder answer = new StringBuilder("ok");
          for (ListenerSpec spec : proxy.specs(IpFamily.valueOf(f.get(1)))) {
            answer.append('\n').append(ListenerCodec.spec(spec)).append('\t')
                .append(targets.getOrDefault(spec, "(unknown)"));
          }
          return answer.append("\nend").toString();
        }
        case "specs" -> {
          StringBuilder answer = new StringBuilder("ok");
          for (ListenerSpec spec : proxy.specs(IpFamily.valueOf(f.get(1)))) {
            answer.append('\n').append(ListenerCodec.spec(spec));
          }
          return answer.append("\nend").toString();
        }
        case "close" -> {
          proxy.close();
          targets.clear();
          return "ok";
        }
        default -> {
          return "error unknown command " + f.get(0);
        }
      }
    });
    proxy.close();
  }

  /** A listener's endpoints (address, port, local, terminating) and affinity as one line. */
  private static String target(EndpointList endpoints, SessionAffinity affinity) {
    StringBuilder s = new StringBuilder(endpoints.ifEmpty().name()).append(" [");
    String sep = "";
    for (ServiceEndpoint e : endpoints.endpoints()) {
      s.append(sep).append(e).append(e.local() ? " local" : "").append(e.terminating() ? " terminating" : "");
      sep = ", ";
    }
    return s.append("] ").append(affinity).toString();
  }
}
