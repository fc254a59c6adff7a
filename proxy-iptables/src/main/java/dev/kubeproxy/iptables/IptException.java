package dev.kubeproxy.iptables;

import dev.kubeproxy.api.backend.kit.KernelException;

/** An iptables transaction or read failed; the message carries the tool's stderr. */
public final class IptException extends KernelException {
  private static final long serialVersionUID = 1L;

  public IptException(String message) {
    super(message);
  }

  public IptException(String message, Throwable cause) {
    super(message, cause);
  }
}
