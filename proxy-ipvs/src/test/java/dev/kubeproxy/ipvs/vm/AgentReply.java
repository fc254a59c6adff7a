package dev.kubeproxy.ipvs.vm;

import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.charset.StandardCharsets;

/**
 * What the guest agent answered for one command: how it ended, its exit code (or signal, or
 * errno), and its captured output as raw bytes.
 */
public record AgentReply(Status status, int code, byte[] stdout, byte[] stderr) {
  /** How a command ended in the guest; the ordinals are the agent's wire values. */
  public enum Status {
    EXITED,
    SIGNALED,
    TIMED_OUT,
    NOT_STARTED;

    static Status fromWire(int value) {
      if (value < 0 || value >= values().length) {
        throw new IllegalArgumentException("unknown agent status " + value);
      }
      return values()[value];
    }
  }

  public AgentReply {
    checkNotNull(status, "status");
    checkNotNull(stdout, "stdout");
    checkNotNull(stderr, "stderr");
  }

  public String stdoutText() {
    return new String(stdout, StandardCharsets.UTF_8);
  }

  public String stderrText() {
    return new String(stderr, StandardCharsets.UTF_8);
  }
}
