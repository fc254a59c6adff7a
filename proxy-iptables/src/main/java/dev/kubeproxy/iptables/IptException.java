package dev.kubeproxy.iptables;

/** An iptables transaction or read failed; the message carries the tool's stderr. */
public final class IptException extends Exception {
  private static final long serialVersionUID = 1L;

  public IptException(String message) {
    super(message);
  }

  public IptException(String message, Throwable cause) {
    super(message, cause);
  }
}
