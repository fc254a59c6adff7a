package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.ServiceEntry;
import java.util.EnumMap;
import java.util.Map;

/**
 * Compiles one service port into the objects it contributes to its family's table. Pure: the
 * result depends on the entry and, for ClientIP affinity slots, on what the same service port
 * compiled to before (so surviving endpoints keep their slots).
 */
final class EntryCompiler {
  EntryObjects compile(ServiceEntry entry) {
    return compile(entry, EntryObjects.EMPTY);
  }

  EntryObjects compile(ServiceEntry entry, EntryObjects before) {
    EntryObjects.Builder out = new EntryObjects.Builder();
    Map<EndpointRole, ImmutableList<String>> slots = new EnumMap<>(EndpointRole.class);
    if (entry.affinity().clientIp()) {
      for (EndpointRole role : EndpointRole.values()) {
        ImmutableList<String> table =
            AffinityObjects.assignSlots(before.slots(role), role.endpoints(entry));
        slots.put(role, table);
        out.slots(role, table);
      }
    }
    FirewallObjects.addTo(entry, out);
    DispatchObjects.addTo(entry, slots, out);
    return out.build();
  }
}
