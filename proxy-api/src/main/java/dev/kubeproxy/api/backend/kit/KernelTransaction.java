package dev.kubeproxy.api.backend.kit;

/** A backend's structured transaction for one family: a list of objects to change. */
public interface KernelTransaction {
  /** How many structured operations (rules, elements, chains, servers...) it holds. */
  int size();

  default boolean isEmpty() {
    return size() == 0;
  }
}
