package dev.kubeproxy.api;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Comparator;

/**
 * A namespace and a name, printed {@code namespace/name}. Neither may hold a {@code /} (no
 * Kubernetes name does), so distinct names never print the same.
 */
public record NamespacedName(String namespace, String name) implements Comparable<NamespacedName> {
  private static final Comparator<NamespacedName> ORDER =
      Comparator.comparing(NamespacedName::namespace).thenComparing(NamespacedName::name);

  public NamespacedName {
    checkArgument(namespace != null && !namespace.isEmpty(), "namespace must not be empty");
    checkArgument(name != null && !name.isEmpty(), "name must not be empty");
    checkArgument(namespace.indexOf('/') < 0 && name.indexOf('/') < 0,
        "a namespace or name may not contain '/': %s, %s", namespace, name);
  }

  public static NamespacedName of(String namespace, String name) {
    return new NamespacedName(namespace, name);
  }

  @Override
  public int compareTo(NamespacedName o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
