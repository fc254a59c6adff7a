package dev.kubeproxy.bin.manifest;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.kubeproxy.api.KubernetesNames;
import java.nio.file.Path;

/**
 * One manifest document that could not be loaded: the file, the object (e.g. {@code Service
 * default/web}, or {@code document 3} when unknown), the field at fault (empty when the
 * document as a whole is unreadable) and what is wrong.
 */
public record ManifestProblem(Path file, String object, String field, String message) {
  private static final int MAX_TEXT = 500;

  public ManifestProblem {
    checkNotNull(file, "file");
    // Values from a document may hold line breaks: one problem stays one log line.
    object = KubernetesNames.oneLine(checkNotNull(object, "object"), MAX_TEXT);
    field = field == null ? "" : KubernetesNames.oneLine(field, MAX_TEXT);
    message = KubernetesNames.oneLine(checkNotNull(message, "message"), MAX_TEXT);
  }

  /** The one log line an operator reads: {@code file: object: field: message}. */
  public String describe() {
    return file + ": " + object + ": " + (field.isEmpty() ? "" : field + ": ") + message;
  }

  @Override
  public String toString() {
    return describe();
  }
}
