package dev.kubeproxy.api.backend;

/**
 * A sync failed; the kernel still holds what it held before (every tool applies its input as
 * one transaction). The message carries the tool's stderr.
 */
public class SyncException extends Exception {
  private static final long serialVersionUID = 1L;

  public SyncException(String message) {
    super(message);
  }

  public SyncException(String message, Throwable cause) {
    super(message, cause);
  }
}
