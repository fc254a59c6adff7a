#!/bin/bash
# Checks DIR/ours-mark.nft (mark-carry-variant.py) with real connections in three scratch
# namespaces wired as affinity-walk.sh (client 10.64.0.2 -> node -> server owning 10.65.0.0/16),
# deleted on exit; nothing touches the machine's own namespace. A scratch table `ip obs` in the
# node namespace counts, in filter forward and filter postrouting (after the DNAT), the new
# connections' packets by mark and records which endpoints they reached. Steps:
#   1 a new client is picked, remembered in both the client set and the mark map (slot+1), sticks
#   2 client set flushed, mark map pinned at another slot: only the mark path can reach that slot
#   3 that slot's endpoint leaves (group map + pick elements deleted): the client forgets it via
#     the slot chain, is picked anew, remembered in both again, sticks
#   4 a packet entering with mark 0x4000 (as the -masq entry sets) keeps today's path and its mark
# Every step asserts that no connection leaves the nat hook with a mark other than the entry mark.
# Usage (root): mark-carry-check.sh DIR [VIP] [CHAIN]
set -e
DIR=$1; VIP=${2:-10.96.0.150}; CHAIN=${3:-service-ips-affinity-tcp-10800-50}
. "$(dirname "$0")/lib/walk-namespaces.sh" kpj-am
fail() { echo "FAIL: $*" >&2; exit 1; }

nftn -f $DIR/ours-mark.nft
MARKMAP=$CHAIN-mark
obs() {  # fresh observer table; $1: a mark to set in prerouting before the nat hook, or none
  nftn delete table ip obs 2>/dev/null || true
  nftn -f - <<EOF
table ip obs {
  set seen { type ipv4_addr . inet_service ; flags dynamic ; }
  chain mark_in { type filter hook prerouting priority -150 ; ${1:+ip saddr 10.64.0.2 ct state new meta mark set $1 ;} }
  chain after_forward { type filter hook forward priority 10 ; ct state new ip saddr 10.64.0.2 jump tally ; }
  chain after_postrouting { type filter hook postrouting priority 10 ; ct state new ip saddr 10.64.0.2 jump tally ; }
  chain tally {
    meta mark 0 counter
    meta mark 0x4000 counter
    meta mark != 0 meta mark != 0x4000 counter
    update @seen { ip daddr . th dport }
  }
}
EOF
}
counts() {  # "<mark 0> <mark 0x4000> <other marks>" packets, forward and postrouting together
  nftn list chain ip obs tally | grep -o 'packets [0-9]*' | awk '{ printf "%s ", $2 } END { print "" }'
}
connect() {  # 200 ms of connections; prints how many succeeded
  read ok failed ns < <(ip netns exec $C $WORK/conn client $VIP 80 200 | tail -1)
  [ "$failed" = 0 ] || fail "$failed connections failed"
  echo $ok
}
seen() { nftn list set ip obs seen | grep -o '10\.65\.[0-9.]* \. 8080' | sort -u; }
endpoint() {  # slot -> endpoint, from the group map
  nftn list map ip kube-proxy $CHAIN | tr ',' '\n' | grep -o "$VIP \. tcp \. 80 \. $1 : [0-9.]* \. 8080" \
    | sed 's/.* : //'
}
marks() { nftn list map ip kube-proxy $MARKMAP | tr ',' '\n' | grep -o "10.64.0.2 \. $VIP \. 80 [^:]*: 0x[0-9a-f]*" | sed 's/.*: //'; }
slots() { nftn list set ip kube-proxy service-ips-affinity | tr ',' '\n' | grep -o "10.64.0.2 \. $VIP \. 80 \. [0-9]*" | sed 's/.* //'; }
check() {  # label, expected slot (or "any"); asserts one endpoint, both memories agree, marks clean
  local ends=$(seen) mark=$(marks) slot=$(slots) c=$(counts)
  [ $(echo "$ends" | wc -l) = 1 ] || fail "$1: endpoints $ends"
  [ $(echo "$slot" | wc -l) = 1 ] || fail "$1: client set slots $slot"
  [ "$((mark))" = $(( (slot & 0xFFFF) + 1 )) ] || fail "$1: mark map $mark, client set $slot"
  [ "$2" = any ] || [ $((slot & 0xFFFF)) = $2 ] || fail "$1: slot $((slot & 0xFFFF)), expected $2"
  [ "$(endpoint $((slot & 0xFFFF)))" = "$ends" ] || fail "$1: reached $ends, slot $((slot & 0xFFFF)) is $(endpoint $((slot & 0xFFFF)))"
  echo "$1: $3 connections -> $ends, slot $((slot & 0xFFFF)), mark map $mark, packets by mark (0 / 0x4000 / other): $c"
}

obs; n=$(connect); check "1 new client" any $n
set -- $(counts); [ $1 -gt 0 ] && [ $2 = 0 ] && [ $3 = 0 ] || fail "marks seen after nat: $*"
first=$(( $(slots) & 0xFFFF ))

pin=$(( (first + 17) % 50 ))
nftn flush set ip kube-proxy service-ips-affinity
nftn flush map ip kube-proxy $MARKMAP
nftn add element ip kube-proxy $MARKMAP "{ 10.64.0.2 . $VIP . 80 timeout 10800s : $((pin + 1)) }"
obs; n=$(connect); check "2 mark map only, slot $pin" $pin $n
set -- $(counts); [ $1 -gt 0 ] && [ $2 = 0 ] && [ $3 = 0 ] || fail "marks seen after nat: $*"

lo=$((pin * 1048576))
range=$(grep -o "$VIP \. tcp \. 80 \. $lo-[0-9]*" $DIR/ours-mark.nft)
gone=$(endpoint $pin)
nftn delete element ip kube-proxy $CHAIN "{ $VIP . tcp . 80 . $pin }"
nftn delete element ip kube-proxy service-ips-affinity-pick "{ $range }"
obs; n=$(connect); check "3 slot $pin left ($gone)" any $n
[ $(( $(slots) & 0xFFFF )) != $pin ] || fail "still at the hole"
set -- $(counts); [ $1 -gt 0 ] && [ $2 = 0 ] && [ $3 = 0 ] || fail "marks seen after nat: $*"

hole=$pin; pin=$(( ($(slots) + 5) % 50 )); [ $pin != $hole ] || pin=$(( (pin + 1) % 50 ))
nftn flush set ip kube-proxy service-ips-affinity
nftn flush map ip kube-proxy $MARKMAP
nftn add element ip kube-proxy service-ips-affinity "{ 10.64.0.2 . $VIP . 80 . $((393216 + pin)) timeout 10800s }"
obs 0x4000; n=$(connect); check "4 entry mark 0x4000, client set at slot $pin" $pin $n
set -- $(counts); [ $1 = 0 ] && [ $2 -gt 0 ] && [ $3 = 0 ] || fail "entry mark 0x4000 altered: $*"
echo "OK"
