package dev.kubeproxy.api;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A namespace and a name, printed {@code namespace/name}. Neither may hold a {@code /} (no
 * Kubernetes name does), so distinct names never print the same.
 */
public record NamespacedName(String namespace, String name) implements Comparable<NamespacedName> {
  public NamespacedName {
    checkArgument(namespace != null && !namespace.isEmpty(), "namespace must not be empty");
    checkArgument(name != null && !name.isEmpty(), "name must not be empty");
    checkArgument(namespace.indexOf('/') < 0 && name.indexOf('/') < 0,
        "a namespace or name may not contain '/': %s, %s", namespace, name);
  }

  public static NamespacedName of(String namespace, String name) {
    return new NamespacedName(namespace, name);
  }

  // equals, hashCode and compareTo are written out: every map of the model is keyed by names,
  // and a cold JVM (C1 only) runs a record's generated method-handle versions much slower.
  @Override
  public boolean equals(Object o) {
    return o == this
        || o instanceof NamespacedName other && name.equals(other.name)
            && namespace.equals(other.namespace);
  }

  @Override
  public int hashCode() {
    return 31 * namespace.hashCode() + name.hashCode();
  }

  @Override
  public int compareTo(NamespacedName o) {
    int byNamespace = namespace.compareTo(o.namespace);
    return byNamespace != 0 ? byNamespace : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
