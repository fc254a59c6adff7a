#!/bin/bash
# ClientIP affinity walk: ns inside nft_do_chain per new connection of a client remembered at a
# fixed position (our slot k / upstream-style endpoint rule k), for each of our rulesets in DIR
# (every *.nft but upstream.nft, e.g. ours.nft and an older layout's) and the upstream-style
# ruleset. Three scratch
# namespaces wired as the data-path benchmark (client 10.64.0.2 -> node -> server owning
# 10.65.0.0/16), deleted on exit; nothing touches the machine's own namespace. DIR holds ours.nft
# and upstream.nft (WriteDataPathRulesets.java); a ruleset holding the backend's slot map
# service-ips-affinity-slot, or map CHAIN-mark (ours-mark.nft, mark-carry-variant.py), has the
# client pinned there too. Prints "<ruleset> <position> <connections> <ns>".
# Usage (root): affinity-walk.sh DIR [VIP] [CHAIN] ["POSITIONS"] [MILLIS] [REPS]
set -e
DIR=$1; VIP=${2:-10.96.0.150}; CHAIN=${3:-service-ips-affinity-tcp-10800-50}
POSITIONS=${4:-"0 12 24 36 49"}; MILLIS=${5:-1000}; REPS=${6:-3}
. "$(dirname "$0")/lib/walk-namespaces.sh" kpj-walk

UP=$(grep -o "service-ips { $VIP \. tcp \. 80 : goto service-[0-9]*" $DIR/upstream.nft | sed 's/.*service-//')

pin_ours() {  # the client remembered at slot $1 only (tcp = 6 << 16 in the slot column)
  nftn flush set ip kube-proxy service-ips-affinity
  nftn add element ip kube-proxy service-ips-affinity "{ 10.64.0.2 . $VIP . 80 . $((393216 + $1)) timeout 10800s }"
  if [ -n "$MARKMAP" ]; then  # the same slot in the mark map, as slot + MARKBASE
    nftn flush map ip kube-proxy $MARKMAP
    nftn add element ip kube-proxy $MARKMAP "{ 10.64.0.2 . $VIP . 80 timeout 10800s : $(($1 + MARKBASE)) }"
  fi
}
pin_upstream() {  # the client remembered in endpoint $1's set only
  for set in $(nftn -t list sets ip | grep -o "affinity-$UP-[0-9]*"); do
    nftn flush set ip kube-proxy $set
  done
  nftn add element ip kube-proxy affinity-$UP-$1 "{ 10.64.0.2 }"
}
measure() {  # label position
  perf record -q -a -g -e cpu-clock:k -c 100000 -o $WORK/perf.data -- \
    ip netns exec $C $WORK/conn client $VIP 80 $MILLIS > $WORK/out
  read ok failed ns < <(tail -1 $WORK/out)
  samples=$(perf script -i $WORK/perf.data -F ip,sym 2>/dev/null | awk '
    /^[[:space:]]*$/ { inside = 0; next }
    !inside && /nft_do_chain/ { n++; inside = 1 }
    END { print n + 0 }')
  echo "$1 $2 $ok $(( samples * 100000 / ok ))"
}
for rep in $(seq $REPS); do
  for file in $(ls $DIR/*.nft | grep -v '/upstream.nft$'); do
    nftn -f $file
    MARKMAP=$(grep -o "^add map ip kube-proxy $CHAIN-mark " $file | cut -d' ' -f5); MARKBASE=1
    if [ -z "$MARKMAP" ] && grep -q "^add map ip kube-proxy service-ips-affinity-slot " $file; then
      MARKMAP=service-ips-affinity-slot; MARKBASE=393217  # the backend's: (tcp << 16 | slot) + 1
    fi
    for k in $POSITIONS; do pin_ours $k; measure $(basename $file .nft) $k; done
    nftn list set ip kube-proxy service-ips-affinity | grep -c "10.64.0.2 \. $VIP" \
      | grep -qx 1 || { echo "the pinned client moved" >&2; exit 1; }
    [ -z "$MARKMAP" ] || [ "$(nftn list map ip kube-proxy $MARKMAP | tr ',' '\n' \
      | grep -o "10.64.0.2 \. $VIP \. 80 [^:]*: 0x[0-9a-f]*" | sed 's/.*: //' | xargs -r printf '%d ')" \
      = "$((${POSITIONS##* } + MARKBASE)) " ] || { echo "the pinned client moved in $MARKMAP" >&2; exit 1; }
    nftn delete table ip kube-proxy
  done
  nftn -f $DIR/upstream.nft
  for k in $POSITIONS; do pin_upstream $k; measure upstream-style $k; done
  nftn delete table ip kube-proxy
done
