package dev.kubeproxy.api.backend.kit;

/** A kernel tool refused a transaction or a read; the kernel is unchanged. Holds the tool's stderr. */
public class KernelException extends Exception {
  private static final long serialVersionUID = 1L;

  public KernelException(String message) {
    super(message);
  }

  public KernelException(String message, Throwable cause) {
    super(message, cause);
  }
}
