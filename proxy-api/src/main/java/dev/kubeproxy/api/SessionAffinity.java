package dev.kubeproxy.api;

/**
 * Session affinity of a service: none, or ClientIP with a timeout in seconds (the API default
 * is 10800; the API allows 1..86400).
 */
public record SessionAffinity(boolean clientIp, int timeoutSeconds) {
  public static final int DEFAULT_TIMEOUT_SECONDS = 10800;
  public static final int MAX_TIMEOUT_SECONDS = 86400;
  public static final SessionAffinity NONE = new SessionAffinity(false, 0);

  public SessionAffinity {
    if (clientIp && (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS)) {
      throw new IllegalArgumentException(
          "ClientIP timeout must be within 1.." + MAX_TIMEOUT_SECONDS + ", got " + timeoutSeconds);
    }
    if (!clientIp) {
      timeoutSeconds = 0;
    }
  }

  public static SessionAffinity clientIp(int timeoutSeconds) {
    return new SessionAffinity(true, timeoutSeconds);
  }

  @Override
  public String toString() {
    return clientIp ? "ClientIP(" + timeoutSeconds + "s)" : "None";
  }
}
