package dev.kubeproxy.api.backend;

/**
 * What a sync sent to the kernel: {@code operations} structured objects (rules, elements,
 * chains, virtual servers...) in {@code payloadBytes} bytes of tool input. Zero when nothing
 * needed to change.
 */
public record SyncResult(int operations, int payloadBytes) {
  public static final SyncResult NOTHING = new SyncResult(0, 0);
}
