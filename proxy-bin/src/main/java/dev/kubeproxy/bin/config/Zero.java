package dev.kubeproxy.bin.config;

import java.util.Collection;
import java.util.Map;

/**
 * Go's zero values in raw YAML: what upstream treats as "not set" ({@code null}, {@code ""},
 * {@code false}, {@code 0}, {@code "0"}, {@code 0s}, empty lists, maps holding only zeros), so that
 * a file kubeadm writes with every field at its zero value raises no warning.
 */
final class Zero {
  private Zero() {}

  /** Whether {@code value} is a zero value, recursively for maps and lists. */
  static boolean isZero(Object value) {
    if (value == null) {
      return true;
    }
    if (value instanceof Boolean b) {
      return !b;
    }
    if (value instanceof Number n) {
      return n.doubleValue() == 0;
    }
    if (value instanceof String s) {
      if (s.isEmpty()) {
        return true;
      }
      try {
        return GoDuration.parse(s).isZero();
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    if (value instanceof Collection<?> c) {
      return c.stream().allMatch(Zero::isZero);
    }
    if (value instanceof Map<?, ?> m) {
      return m.values().stream().allMatch(Zero::isZero);
    }
    return false;
  }

  /** The raw value at the dotted {@code path} of {@code root}, or null when absent. */
  static Object at(Map<?, ?> root, String path) {
    Object node = root;
    for (String part : path.split("\\.")) {
      if (!(node instanceof Map<?, ?> map)) {
        return null;
      }
      node = map.get(part);
    }
    return node;
  }
}
