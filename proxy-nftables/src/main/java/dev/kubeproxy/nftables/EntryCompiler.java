package dev.kubeproxy.nftables;

import dev.kubeproxy.api.ServiceEntry;

/** Compiles one service port into the objects it contributes to its family's table. Pure. */
final class EntryCompiler {
  private final NftTable table;
  private final FamilySyntax syntax;

  EntryCompiler(NftTable table) {
    this.table = table;
    this.syntax = new FamilySyntax(table.family());
  }

  EntryObjects compile(ServiceEntry entry) {
    EntryObjects.Builder out = new EntryObjects.Builder();
    FirewallObjects.addTo(entry, out);
    DispatchObjects.addTo(entry, out);
    AffinityObjects.addTo(entry, table, syntax, out);
    return out.build();
  }
}
