package dev.kubeproxy.userspace;

import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.SessionAffinity;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    UserspaceProxy proxy = new UserspaceProxy(UserspaceConfig.defaults().withThreads(2), System::nanoTime);
    // What each open listener was last given, for the "targets" command.
    Map<ListenerSpec, String> targets = new HashMap<>();
    out.println(READY);
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      List<String> f = ListenerCodec.fields(line);
      try {
        switch (f.get(0)) {
          case "put" -> {
            int s = 1 + ListenerCodec.SPEC_FIELDS;
            ListenerSpec spec = ListenerCodec.spec(f.subList(1, s));
            EndpointList endpoints = ListenerCodec.endpoints(f.get(s), f.get(s + 1));
            SessionAffinity affinity = ListenerCodec.affinity(f.get(s + 2), f.get(s + 3));
            proxy.put(spec, endpoints, affinity);
            targets.put(spec, target(endpoints, affinity));
            out.println("ok");
          }
          case "remove" -> {
            ListenerSpec spec = ListenerCodec.spec(f.subList(1, 1 + ListenerCodec.SPEC_FIELDS));
            proxy.remove(spec);
            targets.remove(spec);
            out.println("ok");
          }
          case "targets" -> {
            StringBuilder answer = new StringBuilder("ok");
            for (ListenerSpec spec : proxy.specs(IpFamily.valueOf(f.get(1)))) {
              answer.append('\n').append(ListenerCodec.spec(spec)).append('\t')
                  .append(targets.getOrDefault(spec, "(unknown)"));
            }
            out.println(answer.append("\nend"));
          }
          case "specs" -> {
            StringBuilder answer = new StringBuilder("ok");
            for (ListenerSpec spec : proxy.specs(IpFamily.valueOf(f.get(1)))) {
              answer.append('\n').append(ListenerCodec.spec(spec));
            }
            out.println(answer.append("\nend"));
          }
          case "close" -> {
            proxy.close();
            targets.clear();
            out.println("ok");
          }
          default -> out.println("error unknown command " + f.get(0));
        }
      } catch (IOException | RuntimeException e) {
        out.println("error " + String.valueOf(e.getMessage()).replace('\n', ' '));
      }
    }
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
