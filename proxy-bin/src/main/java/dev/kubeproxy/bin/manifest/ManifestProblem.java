package dev.kubeproxy.bin.manifest;

import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;

/**
 * One manifest document that could not be loaded: the file, the object (e.g. {@code Service
 * default/web}, or {@code document 3} when unknown), the field at fault (empty when the
 * document as a whole is unreadable) and what is wrong.
 */
public record ManifestProblem(Path file, String object, String field, String message) {
  public ManifestProblem {
    checkNotNull(file, "file");
    checkNotNull(object, "object");
    field = field == null ? "" : field;
    checkNotNull(message, "message");
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
