package dev.kubeproxy.bin.kube;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

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
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (FakeApiServer api = FakeApiServer.start()) {
      out.println(READY + api.url());
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] f = line.split(" ", 2);
        try {
          switch (f[0]) {
            case "apply" -> out.println("ok " + api.applyJson(f[1]));
            case "delete" -> {
              String[] d = f[1].split(" ");
              out.println("ok " + api.delete(FakeApiServer.Resource.ofKind(d[0]), d[1], d[2]));
            }
            case "events" -> out.println("ok " + api.events().size());
            default -> out.println("error unknown command " + f[0]);
          }
        } catch (RuntimeException e) {
          out.println("error " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
      }
    }
  }
}
