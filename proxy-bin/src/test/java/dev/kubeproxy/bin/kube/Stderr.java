package dev.kubeproxy.bin.kube;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Captures what the code under test logs (the binary logs to System.err). */
final class Stderr {
  private Stderr() {}

  interface IoRunnable {
    void run() throws IOException;
  }

  /** Runs {@code body} with System.err captured, echoes it, and returns it. */
  static String capture(IoRunnable body) throws IOException {
    PrintStream original = System.err;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setErr(original);
    }
    String captured = buffer.toString(StandardCharsets.UTF_8);
    original.print(captured);
    return captured;
  }
}
