package dev.kubeproxy.bin.config;

/**
 * An invalid setting; the message names the flag ({@code --cluster-cidr}) or the config file
 * field it came from, so that it can be printed as the one line an operator needs.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
