package dev.kubeproxy.nftables;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.nftables.NftOp.AddMap;
import dev.kubeproxy.nftables.NftOp.AddRule;
import dev.kubeproxy.nftables.NftOp.AddSet;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * ClientIP affinity with a fixed number of chains and sets for the whole table (issue 13): per
 * dispatch space one dynamic set of remembered clients and one interval set for the random
 * pick, and per protocol, timeout and slot count one group (a map and a chain of one name).
 *
 * <p>Each endpoint of an affinity list holds a <em>slot</em> {@code k}, a small index that stays
 * with the endpoint while it lives (removed endpoints leave a hole, new ones fill the lowest
 * hole), so the shared chain can name it as a rule constant ({@code numgen random mod 1 offset
 * k}, since nft 1.0.6 rejects plain constants inside a concatenated lookup). Group map {@code
 * frontend . k : endpoint} holds the live slots. The chain has, per slot: a rule sending a client
 * remembered with {@code frontend . k} to slot {@code k} (refreshing its timeout), a rule
 * deleting that memory when {@code k} is a hole, and, last, a rule per slot picking new clients
 * at random: interval set {@code <space>-affinity-pick} holds {@code frontend . [kR, kR + w)},
 * so {@code numgen random mod R offset kR} falls inside with probability w/R = 1/(remaining live
 * slots), and the pick is remembered. Clients are remembered per frontend (nft 1.0.6 cannot look
 * up a service port id inside a concatenation), keyed {@code client . frontend address . port .
 * protocol<<16|k}.
 *
 * <p>A remembered client whose packet enters with mark 0 (pod traffic to a ClusterIP, the common
 * case) does not walk the slots: the space's dynamic map {@code <space>-affinity-slot} gives its
 * slot as {@code (protocol<<16 | k) + 1}, carried in {@code meta mark} (nft 1.0.6 can pass a
 * looked-up value to a second lookup no other way) to a {@code meta mark vmap} that jumps to the
 * group's slot chain {@code k}. Each of that chain's two rules puts the mark back to 0 first, so
 * no other rule or hook ever sees it: the first refreshes both memories and DNATs; the second,
 * reached when k is a hole (the DNAT's lookup fails), forgets the client and returns to the
 * group chain, whose rules go on as for every other packet. A value the group has no slot for
 * (a slot beyond its count, another protocol's) goes, through the vmap's catch-all, to the
 * group's forget chain: mark back to 0, the map's entry deleted. eTP=Cluster external frontends
 * enter through the group's masquerading chain, whose first rule does the same with slot chains
 * that leave the masquerade mark instead of 0. Packets entering with another mark (ClusterIP
 * traffic from outside the pod network, marked before the dispatch; another component's mark)
 * walk the slots as before; every path keeps the map and the client set remembering the same
 * slot. IPv6 always walks ({@link FamilySyntax#carriesAffinitySlotInMark}).
 */
final class AffinityObjects {
  /** Random values per slot: the pick range of slot k starts at {@code k * PICK_RANGE}. */
  static final long PICK_RANGE = 1L << 20;
  /** Slots per list: {@code MAX_SLOTS * PICK_RANGE} stays within numgen's 32 bits. */
  static final int MAX_SLOTS = 4096;
  /** An empty slot (its endpoint was removed). */
  static final String HOLE = "";

  // One set holds every client of every affinity frontend of a space (upstream: 65535 per
  // endpoint set, so 10 endpoints of 1,000 affinity ports hold 655M); hash sets allocate only
  // for elements present, so the bound is generous.
  private static final int CLIENTS_PER_SPACE = 1 << 24;
  private static final String SLOT_TYPE = "numgen random mod 4294967295";

  private AffinityObjects() {}

  /**
   * The slot table of a list: {@code previous} with removed endpoints turned into holes, new
   * endpoints in the lowest holes (then appended), trailing holes dropped. At most {@link
   * #MAX_SLOTS} slots; endpoints beyond are left out.
   */
  static ImmutableList<String> assignSlots(List<String> previous, List<ServiceEndpoint> endpoints) {
    Set<String> ids = new LinkedHashSet<>();
    for (ServiceEndpoint e : endpoints) {
      ids.add(id(e));
    }
    List<String> slots = new ArrayList<>();
    for (String id : previous) {
      slots.add(ids.contains(id) ? id : HOLE);
    }
    Set<String> placed = new LinkedHashSet<>(slots);
    int hole = 0;
    for (String id : ids) {
      if (placed.contains(id)) {
        continue;
      }
      while (hole < slots.size() && !slots.get(hole).equals(HOLE)) {
        hole++;
      }
      if (hole < slots.size()) {
        slots.set(hole, id);
      } else if (slots.size() < MAX_SLOTS) {
        slots.add(id);
      }
    }
    while (!slots.isEmpty() && slots.get(slots.size() - 1).equals(HOLE)) {
      slots.remove(slots.size() - 1);
    }
    return ImmutableList.copyOf(slots);
  }

  /** The slot identity of an endpoint: {@code address/port}. */
  static String id(ServiceEndpoint e) {
    return e.address() + "/" + e.port();
  }

  /**
   * The elements of one affinity frontend: its dispatch verdict to its group, the group map's
   * live slots and its pick ranges. Nothing when no slot is live.
   */
  static void addFrontend(DispatchSpace space, ImmutableList<String> key, String protocol,
      int timeoutSeconds, ImmutableList<String> slots, boolean masquerade, String comment,
      EntryObjects.Builder out) {
    List<Integer> live = new ArrayList<>();
    for (int k = 0; k < slots.size(); k++) {
      if (!slots.get(k).equals(HOLE)) {
        live.add(k);
      }
    }
    if (live.isEmpty()) {
      return;
    }
    Group group = Group.affinity(space, protocol, timeoutSeconds, slots.size());
    out.element(space.dispatchMap(), new NftElement(key, ImmutableList.of(
        "goto " + (masquerade ? group.masqueradeChain() : group.name())), comment));
    for (int i = 0; i < live.size(); i++) {
      int k = live.get(i);
      String id = slots.get(k);
      int slash = id.lastIndexOf('/');
      out.element(group.name(), NftElement.mapping(
          ImmutableList.<String>builder().addAll(key).add(Integer.toString(k)).build(),
          ImmutableList.of(id.substring(0, slash), id.substring(slash + 1))));
      // The i-th live slot takes 1/(n - i) of what reaches it; the last takes everything.
      long width = i == live.size() - 1 ? PICK_RANGE : PICK_RANGE / (live.size() - i);
      long low = k * PICK_RANGE;
      out.element(space.pickSet(), new NftElement(
          ImmutableList.<String>builder().addAll(key).add(low + "-" + (low + width - 1)).build(),
          null, null));
    }
  }

  /**
   * The space's three fixed sets: remembered clients (dynamic), the same clients' slots (a
   * dynamic map, as large) and pick ranges (interval).
   */
  static List<NftOp> sets(NftTable table, FamilySyntax syntax, DispatchSpace space) {
    List<NftOp> sets = new ArrayList<>();
    sets.add(new AddSet(table, space.clientSet(), NftType.typeOf(clientKey(syntax, space) + " . "
        + SLOT_TYPE), ImmutableSortedSet.of("dynamic", "timeout"), 0, CLIENTS_PER_SPACE,
        "ClientIP affinity: client . frontend . slot, per-element timeout"));
    if (syntax.carriesAffinitySlotInMark()) {
      sets.add(new AddMap(table, space.slotMap(), NftType.typeOf(clientKey(syntax, space)),
          NftType.typeOf("meta mark"), ImmutableSortedSet.of("dynamic", "timeout"),
          CLIENTS_PER_SPACE,
          "ClientIP affinity: client . frontend to its slot plus 1 carried in meta mark"));
    }
    sets.add(new AddSet(table, space.pickSet(), NftType.typeOf(space.keyExpression(syntax) + " . "
        + SLOT_TYPE), ImmutableSortedSet.of("interval"), 0, 0,
        "ClientIP affinity: frontend . random range of each live slot"));
    return sets;
  }

  /** An affinity group's map: {@code frontend . slot : endpoint}. */
  static AddMap map(NftTable table, FamilySyntax syntax, Group group) {
    return new AddMap(table, group.name(),
        NftType.typeOf(group.space().keyExpression(syntax) + " . numgen random mod 65536"),
        NftType.typeOf(syntax.ip() + " daddr . th dport"), null, null);
  }

  /**
   * The chains of an affinity group besides its own: one per slot, and the forget chain (none
   * where the slot is not carried in the mark).
   */
  static List<String> chains(FamilySyntax syntax, Group group) {
    List<String> chains = new ArrayList<>();
    if (!syntax.carriesAffinitySlotInMark()) {
      return chains;
    }
    for (int k = 0; k < group.size(); k++) {
      chains.add(slotChain(group, k, false));
    }
    if (group.hasMasqueradeChain()) {
      for (int k = 0; k < group.size(); k++) {
        chains.add(slotChain(group, k, true));
      }
    }
    chains.add(forgetChain(group));
    return chains;
  }

  /** Slot chain k of the group, or of its masquerading entry chain (which restores the mark). */
  private static String slotChain(Group group, int k, boolean masquerade) {
    return (masquerade ? group.masqueradeChain() : group.name()) + "-slot-" + k;
  }

  private static String forgetChain(Group group) {
    return group.name() + "-forget";
  }

  /**
   * An affinity group's rules. Its chain: first the mark-carried jump of a remembered client to
   * its slot chain; then, for packets that did not take it, per slot, remembered clients go to
   * it (refreshed); then, per slot, a client remembered with a hole forgets it; then per slot the
   * random pick. A client holds at most one slot of a frontend (it is picked only after every
   * hole it held was forgotten), so testing every live slot before any hole changes no outcome,
   * and a remembered client passes one lookup per slot before its own instead of two. Then the
   * slot chains and the forget chain (see the class comment). Only ever added in the
   * transaction that creates the group's map (nft 1.0.6, see {@link NftSkeleton#groupRules}).
   */
  static List<AddRule> rules(NftTable table, FamilySyntax syntax, Group group,
      int masqueradeMark) {
    DispatchSpace space = group.space();
    String chain = group.name();
    String clients = space.clientSet();
    String client = clientKey(syntax, space);
    List<String> remembered = new ArrayList<>();
    List<String> slots = new ArrayList<>();
    List<Long> carried = carriedValues(group);
    for (int k = 0; k < group.size(); k++) {
      remembered.add(client + " . numgen random mod 1 offset " + (carried.get(k) - 1));
      slots.add(slotKey(syntax, space, k));
    }
    boolean carry = syntax.carriesAffinitySlotInMark();
    List<AddRule> rules = new ArrayList<>();
    if (carry) {
      rules.add(carriedJump(table, syntax, group, false));
    }
    for (int k = 0; k < group.size(); k++) {
      rules.add(new AddRule(table, chain, NftRule.of(remembered.get(k) + " @" + clients + " "
          + slots.get(k) + " @" + chain + " " + remember(carry, group, client, remembered.get(k),
          carried.get(k)) + " " + dnat(slots.get(k), chain),
          k == 0 ? "clients seen within the timeout keep their endpoint" : null)));
    }
    for (int k = 0; k < group.size(); k++) {
      rules.add(new AddRule(table, chain, NftRule.of(remembered.get(k) + " @" + clients + " "
          + slots.get(k) + " != @" + chain + " " + forget(carry, space, client, remembered.get(k),
          carried.get(k)), k == 0 ? "a client whose endpoint left forgets it" : null)));
    }
    for (int k = 0; k < group.size(); k++) {
      rules.add(new AddRule(table, chain, NftRule.of(space.keyExpression(syntax)
          + " . numgen random mod " + PICK_RANGE + " offset " + (k * PICK_RANGE) + " @"
          + space.pickSet() + " " + remember(carry, group, client, remembered.get(k), carried.get(k))
          + " " + dnat(slots.get(k), chain), k == 0 ? "new clients get a random endpoint" : null)));
    }
    if (carry) {
      rules.addAll(slotChainRules(table, group, client, remembered, slots, carried, 0, false));
      if (group.hasMasqueradeChain()) {
        rules.addAll(slotChainRules(table, group, client, remembered, slots, carried,
            masqueradeMark, true));
      }
      rules.add(new AddRule(table, forgetChain(group), NftRule.of("meta mark set 0 delete @"
          + space.slotMap() + " { " + client + " : 1 }", "a slot this group does not have")));
    }
    return rules;
  }

  /**
   * The first rule of the group's masquerading entry chain, before it marks the connection: as
   * the group chain's first rule, to slot chains that leave the masquerade mark instead of 0
   * (the mark was 0, and the entry chain would set just that bit). A client forgotten there
   * comes back, is marked and walks the group chain. Nothing where the slot is not carried.
   */
  static List<AddRule> masqueradeEntryRules(NftTable table, FamilySyntax syntax, Group group) {
    return syntax.carriesAffinitySlotInMark()
        ? List.of(carriedJump(table, syntax, group, true)) : List.of();
  }

  /** {@code (protocol << 16 | k) + 1} for each slot k: what the slot map holds. */
  private static List<Long> carriedValues(Group group) {
    long protocolBits = (long) protocolNumber(group.protocol()) << 16;
    List<Long> carried = new ArrayList<>();
    for (int k = 0; k < group.size(); k++) {
      carried.add((protocolBits | k) + 1);
    }
    return carried;
  }

  /**
   * The first rule of the group chain (or of its masquerading entry chain): a packet entering
   * with mark 0 whose client the slot map remembers jumps to its slot chain, or to the forget
   * chain for any other value (the vmap's catch-all), so the mark never stays set.
   */
  private static AddRule carriedJump(NftTable table, FamilySyntax syntax, Group group,
      boolean masquerade) {
    List<Long> carried = carriedValues(group);
    StringBuilder jumps = new StringBuilder();
    for (int k = 0; k < group.size(); k++) {
      jumps.append(carried.get(k)).append(" : jump ").append(slotChain(group, k, masquerade))
          .append(", ");
    }
    // A catch-all rather than ranges around the slots: a hash lookup instead of an interval
    // search on every remembered connection (measured, RESULTS "session 8").
    jumps.append("* : jump ").append(forgetChain(group));
    return new AddRule(table, masquerade ? group.masqueradeChain() : group.name(), NftRule.of(
        "meta mark 0 meta mark set " + clientKey(syntax, group.space()) + " map @"
            + group.space().slotMap() + " meta mark vmap { " + jumps + " }",
        "a remembered client goes straight to its slot"));
  }

  /**
   * The slot chains: each rule first puts the mark back to what it was ({@code restore}: 0, or
   * the masquerade mark the entry chain would have set); DNAT, else forget a hole and return.
   */
  private static List<AddRule> slotChainRules(NftTable table, Group group, String client,
      List<String> remembered, List<String> slots, List<Long> carried, int restore,
      boolean masquerade) {
    String chain = group.name();
    List<AddRule> rules = new ArrayList<>();
    String markSet = "meta mark set " + (restore == 0 ? "0" : String.format("0x%x", restore));
    for (int k = 0; k < group.size(); k++) {
      String slotChain = slotChain(group, k, masquerade);
      // No membership test before the refresh: a hole fails the DNAT's lookup, and the next
      // rule forgets what this one refreshed, so the common case pays one lookup less.
      rules.add(new AddRule(table, slotChain, NftRule.of(markSet + " "
          + remember(true, group, client, remembered.get(k), carried.get(k)) + " "
          + dnat(slots.get(k), chain), masquerade
              ? "the mark only carried the slot: masqueraded as the entry would"
              : "the mark only carried the slot")));
      rules.add(new AddRule(table, slotChain, NftRule.of(markSet + " "
          + forget(true, group.space(), client, remembered.get(k), carried.get(k)),
          "the endpoint left: back to the group chain")));
    }
    return rules;
  }

  /** Refreshes (or adds) the client as holding a slot: in the slot map too when carried. */
  private static String remember(boolean carry, Group group, String client, String remembered,
      long carried) {
    String timeout = " timeout " + group.timeoutSeconds() + "s";
    String inSet = "update @" + group.space().clientSet() + " { " + remembered + timeout + " }";
    return carry ? "update @" + group.space().slotMap() + " { " + client + timeout + " : "
        + carried + " } " + inSet : inSet;
  }

  /** Forgets the client's slot: in the slot map too when carried (deleted whatever its value). */
  private static String forget(boolean carry, DispatchSpace space, String client,
      String remembered, long carried) {
    String inSet = "delete @" + space.clientSet() + " { " + remembered + " }";
    return carry ? "delete @" + space.slotMap() + " { " + client + " : " + carried + " } " + inSet
        : inSet;
  }

  private static String dnat(String slot, String map) {
    return "dnat to " + slot + " map @" + map;
  }

  /** {@code frontend . numgen random mod 1 offset k}: slot k of the packet's frontend. */
  private static String slotKey(FamilySyntax syntax, DispatchSpace space, int k) {
    return space.keyExpression(syntax) + " . numgen random mod 1 offset " + k;
  }

  /** Client and frontend without the protocol, which goes into the slot number instead. */
  private static String clientKey(FamilySyntax syntax, DispatchSpace space) {
    String ip = syntax.ip();
    return space.byAddress()
        ? ip + " saddr . " + ip + " daddr . th dport"
        : ip + " saddr . th dport";
  }

  private static int protocolNumber(String protocol) {
    return switch (protocol) {
      case "tcp" -> 6;
      case "udp" -> 17;
      case "sctp" -> 132;
      default -> throw new IllegalArgumentException("no protocol number for " + protocol);
    };
  }
}
