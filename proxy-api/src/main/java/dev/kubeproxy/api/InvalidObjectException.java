package dev.kubeproxy.api;

/**
 * Thrown when an input object is invalid; the message names the object and the field so one
 * log line tells an operator exactly what to fix.
 */
public final class InvalidObjectException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  // One log line stays readable and cannot forge another: escaped and bounded.
  private static final int MAX_MESSAGE = 500;

  private final String object;
  private final String field;

  /**
   * @param object the object, e.g. {@code Service default/web}
   * @param field the field path, e.g. {@code spec.ports[0].port}
   * @param problem what is wrong with it
   */
  public InvalidObjectException(String object, String field, String problem) {
    super(KubernetesNames.oneLine(object + ": " + field + ": " + problem, MAX_MESSAGE));
    this.object = KubernetesNames.oneLine(object, MAX_MESSAGE);
    this.field = KubernetesNames.oneLine(field, MAX_MESSAGE);
  }

  public String object() {
    return object;
  }

  public String field() {
    return field;
  }
}
