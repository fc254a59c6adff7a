package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;

/** An element together with the set or map it belongs to (whose name is interned). */
record SetElement(String set, NftElement element) {
  SetElement {
    set = set.intern();
  }

  /**
   * What identifies the element in the kernel: its set and key (not its value). The hash is
   * computed once: a full sync hashes each of its ~200k ids several times (claims, state maps).
   */
  static final class Id {
    private final String set;
    private final ImmutableList<String> key;
    private final int hash;

    Id(String set, ImmutableList<String> key) {
      this.set = set;
      this.key = key;
      this.hash = 31 * set.hashCode() + key.hashCode();
    }

    String set() {
      return set;
    }

    ImmutableList<String> key() {
      return key;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Id other && hash == other.hash && set.equals(other.set)
          && key.equals(other.key);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return "Id[set=" + set + ", key=" + key + "]";
    }
  }

  Id id() {
    return new Id(set, element.key());
  }
}
