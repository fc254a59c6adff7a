#!/usr/bin/env python3
"""Derive DIR/ours-mark.nft from DIR/ours.nft: one ClientIP affinity group walked in constant time.

Measurement only (jmh/RESULTS.md, "mark carry"); the backend does not write this. For the group
chain CHAIN (default service-ips-affinity-tcp-10800-50) with C slots it adds:
  - map CHAIN-mark `client . frontend address . port : slot+1` (dynamic, per-element timeouts);
  - chains CHAIN-slot-K, one per slot: `meta mark set 0` (the mark only carried the slot), then
    DNAT through the group map at slot K refreshing both CHAIN-mark and today's client set, and
    when slot K is a hole, delete both entries and `return` to the group chain;
  - a first rule in CHAIN, for packets whose mark is 0 only: one lookup of CHAIN-mark into
    `meta mark` and `meta mark vmap { K+1 : jump CHAIN-slot-K }` (a miss leaves the mark 0 and
    the packet goes on with today's rules);
  - in today's refresh and pick rules of CHAIN, an update of CHAIN-mark beside the client set's.
Everything else of ours.nft is copied unchanged.
Usage: mark-carry-variant.py DIR [CHAIN]
"""
import re
import sys

TABLE = "add rule ip kube-proxy "
CLIENT = "ip saddr . ip daddr . th dport"
SLOT_KEY = "ip daddr . meta l4proto . th dport . numgen random mod 1 offset {}"
# today's remembering of a client: `update @<space>-affinity { client . numgen … offset (P<<16|k) timeout Ts }`
UPDATE = re.compile(r"update @(\S+-affinity) \{ " + re.escape(CLIENT)
                    + r" \. numgen random mod 1 offset (\d+) timeout (\d+)s \}")


def main():
    directory = sys.argv[1]
    chain = sys.argv[2] if len(sys.argv) > 2 else "service-ips-affinity-tcp-10800-50"
    slots = int(chain.rsplit("-", 1)[1])
    mark_map = chain + "-mark"
    with open(directory + "/ours.nft") as source:
        lines = source.read().splitlines()

    group_rules = [line for line in lines if line.startswith(TABLE + chain + " ")]
    if not group_rules:
        sys.exit("no rules of chain " + chain + " in ours.nft")
    first = UPDATE.search(group_rules[0])
    client_set, tagged, timeout = first.group(1), int(first.group(2)), first.group(3)
    protocol = tagged & ~0xFFFF  # P << 16 in the slot column of the client set

    def remember(k):
        return (f"update @{mark_map} {{ {CLIENT} timeout {timeout}s : {k + 1} }} "
                f"update @{client_set} {{ {CLIENT} . numgen random mod 1 offset {protocol | k} "
                f"timeout {timeout}s }}")

    def slot_rules(k):
        slot_chain = f"{TABLE}{chain}-slot-{k} "
        key = SLOT_KEY.format(k)
        return [
            slot_chain + 'meta mark set 0 comment "the mark only carried the slot"',
            slot_chain + f"{key} @{chain} {remember(k)} dnat to {key} map @{chain}",
            slot_chain + f"{key} != @{chain} delete @{mark_map} {{ {CLIENT} : {k + 1} }} "
            f"delete @{client_set} {{ {CLIENT} . numgen random mod 1 offset {protocol | k} }} "
            'return comment "slot left: forget it, back to the group chain"',
        ]

    carry = (f"{TABLE}{chain} meta mark 0 meta mark set {CLIENT} map @{mark_map} meta mark vmap {{ "
             + ", ".join(f"{k + 1} : jump {chain}-slot-{k}" for k in range(slots))
             + ' } comment "a remembered client goes straight to its slot"')

    def with_mark_update(line):  # today's refresh and pick rules also remember the slot in the map
        match = UPDATE.search(line)
        slot = int(match.group(2)) & 0xFFFF
        return line[:match.start()] + f"update @{mark_map} {{ {CLIENT} timeout {timeout}s : {slot + 1} }} " \
            + line[match.start():]

    out = []
    for line in lines:
        if line.startswith(f"add map ip kube-proxy {chain} "):
            out.append(line)
            out.append(f"add map ip kube-proxy {mark_map} {{ typeof {CLIENT} : meta mark ; "
                       "flags dynamic,timeout ; size 16777216 ; "
                       'comment "ClientIP affinity: client . frontend to slot+1, carried in meta mark" ; }')
        elif line == f"add chain ip kube-proxy {chain}":
            out.append(line)
            out.extend(f"add chain ip kube-proxy {chain}-slot-{k}" for k in range(slots))
        elif line == group_rules[0]:
            for k in range(slots):
                out.extend(slot_rules(k))
            out.append(carry)
            out.append(with_mark_update(line))
        elif line.startswith(TABLE + chain + " ") and UPDATE.search(line):
            out.append(with_mark_update(line))
        else:
            out.append(line)
    with open(directory + "/ours-mark.nft", "w") as target:
        target.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
