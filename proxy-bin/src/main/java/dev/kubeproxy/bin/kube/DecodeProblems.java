package dev.kubeproxy.bin.kube;

import com.google.common.collect.MapMaker;
import java.util.Map;
import java.util.Objects;

/**
 * The objects of one resource that arrived from the API server with a field that could not be
 * decoded, each a shell holding only its identity, with the reason. The shell keeps the
 * object's place in the informer's cache (a bad version is not a deletion); the feed skips it
 * with one WARN line. Entries go when the informer forgets the shell (weak identity keys).
 */
final class DecodeProblems {
  private final Map<Object, String> problems = new MapMaker().weakKeys().makeMap();

  /** Records that {@code shell} stands for an object refused for {@code problem}. */
  void record(Object shell, String problem) {
    problems.put(Objects.requireNonNull(shell, "shell"), Objects.requireNonNull(problem, "problem"));
  }

  /** Why {@code object} is a shell ({@code field: problem}), or null for a decoded object. */
  String of(Object object) {
    return object == null ? null : problems.get(object);
  }
}
