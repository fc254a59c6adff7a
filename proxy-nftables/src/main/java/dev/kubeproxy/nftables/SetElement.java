package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;

/** An element together with the set or map it belongs to (whose name is interned). */
record SetElement(String set, NftElement element) {
  SetElement {
    set = set.intern();
  }

  /** What identifies the element in the kernel: its set and key (not its value). */
  record Id(String set, ImmutableList<String> key) {}

  Id id() {
    return new Id(set, element.key());
  }
}
