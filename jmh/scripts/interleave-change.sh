#!/bin/bash
# One-element change (add and delete one cluster-ips element) timed with bare `nft -f` on
# several M-size tables and on the floor (a table holding just that set), interleaved so all see
# the same load; each table in its own scratch network namespace (deleted on exit; nothing
# touches the machine's own namespace). Prints per table the median and quartiles in ms.
# Usage (root): interleave-change.sh RUNS FULL.nft [FULL.nft ...]   (e.g. --dry-run outputs)
set -e
RUNS=$1; shift
FILES=("$@"); N=${#FILES[@]}
NS=(); for i in $(seq 0 $N); do NS+=(kpj-ic-$$-$i); done
trap 'for ns in "${NS[@]}"; do ip netns del $ns 2>/dev/null; done; rm -f $OUT $ADD $DEL' EXIT
OUT=$(mktemp); ADD=$(mktemp); DEL=$(mktemp)
for i in $(seq 0 $N); do ip netns add ${NS[$i]}; done
for i in $(seq 0 $((N - 1))); do ip netns exec ${NS[$i]} nft -f ${FILES[$i]}; done
printf 'add table ip kube-proxy\nadd set ip kube-proxy cluster-ips { type ipv4_addr ; }\n' \
  | ip netns exec ${NS[$N]} nft -f -
echo 'add element ip kube-proxy cluster-ips { 10.200.0.1 }' > $ADD
echo 'delete element ip kube-proxy cluster-ips { 10.200.0.1 }' > $DEL
for r in $(seq $RUNS); do
  for i in $(seq 0 $N); do
    for f in $ADD $DEL; do
      s=$(date +%s%N); ip netns exec ${NS[$i]} nft -f $f; echo "$i $(( ($(date +%s%N) - s) / 1000 ))" >> $OUT
    done
  done
done
for i in $(seq 0 $N); do
  label=${FILES[$i]:-floor}
  grep "^$i " $OUT | awk '{print $2}' | sort -n | awk -v l="$label" '{a[NR]=$1} END {
    printf "%s: median %.1f ms, p25 %.1f, p75 %.1f (%d runs)\n", l, a[int(NR/2)+1]/1000,
      a[int(NR/4)+1]/1000, a[int(3*NR/4)+1]/1000, NR }'
done
