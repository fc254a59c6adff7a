package dev.kubeproxy.nftables;

import dev.kubeproxy.api.backend.kit.KernelException;

/** A transaction was refused; the kernel is unchanged. The message holds nft's error output. */
public final class NftException extends KernelException {
  private static final long serialVersionUID = 1L;

  public NftException(String message) {
    super(message);
  }

  public NftException(String message, Throwable cause) {
    super(message, cause);
  }
}
