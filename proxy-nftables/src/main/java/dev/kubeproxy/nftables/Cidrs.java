package dev.kubeproxy.nftables;

import dev.kubeproxy.api.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** CIDR helpers for interval sets, which refuse overlapping elements. */
final class Cidrs {
  private Cidrs() {}

  /** {@code cidrs} sorted, without duplicates and without any CIDR inside another. */
  static List<Cidr> withoutContained(Iterable<Cidr> cidrs) {
    TreeSet<Cidr> sorted = new TreeSet<>((a, b) -> {
      int c = Integer.compare(a.prefixLength(), b.prefixLength());
      return c != 0 ? c : a.compareTo(b);
    });
    for (Cidr c : cidrs) {
      sorted.add(c);
    }
    List<Cidr> kept = new ArrayList<>();
    for (Cidr c : sorted) {
      boolean inside = false;
      for (Cidr k : kept) {
        if (k.contains(c.network())) {
          inside = true;
          break;
        }
      }
      if (!inside) {
        kept.add(c);
      }
    }
    kept.sort(null);
    return kept;
  }
}
