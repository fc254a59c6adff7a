package dev.kubeproxy.bin.kube;

import dev.kubeproxy.api.testing.lab.NamespaceJvm;
import java.io.IOException;

/**
 * A {@link FakeApiServer} in a child JVM, started inside a lab namespace ({@code ip netns exec})
 * so that a binary running there reaches it on that namespace's own loopback: the lab stays
 * unlinked from the machine's namespace. Prints {@code ready <url>}, then answers one command
 * line at a time — {@code apply <one-line JSON>} ({@code ok <resourceVersion>}), {@code delete
 * <Kind> <namespace> <name>}, {@code events} ({@code ok <count>}) — and exits when stdin closes.
 */
public final class FakeApiServerAgent {
  public static final String READY = "ready ";

  private FakeApiServerAgent() {}

  public static void main(String[] args) throws IOException {
    try (FakeApiServer api = FakeApiServer.start()) {
      NamespaceJvm.serve(READY + api.url(), line -> {
        String[] f = line.split(" ", 2);
        return switch (f[0]) {
          case "apply" -> "ok " + api.applyJson(f[1]);
          case "delete" -> {
            String[] d = f[1].split(" ");
            yield "ok " + api.delete(FakeApiServer.Resource.ofKind(d[0]), d[1], d[2]);
          }
          case "events" -> "ok " + api.events().size();
          default -> "error unknown command " + f[0];
        };
      });
    }
  }
}
