#!/bin/bash
# Interleaved bare `nft -f` timing of one change in two layouts and of the floor (one element
# added to / deleted from a one-set table), each in its own scratch network namespace (deleted
# on exit; nothing touches the machine's own namespace), so all three see the same load.
# AFTER and BEFORE are --save-dir directories of KernelBenchmark. Prints per kind the median
# and p90 in milliseconds. Usage (root): interleave-floor.sh AFTER_DIR BEFORE_DIR [SHAPE] [RUNS]
set -e
AFTER_DIR=$1; BEFORE_DIR=$2; SHAPE=${3:-M}; RUNS=${4:-20}
A=kpj-if-after-$$; B=kpj-if-before-$$; F=kpj-if-floor-$$
OUT=$(mktemp)
trap 'ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; ip netns del $F 2>/dev/null; rm -f $OUT' EXIT
ip netns add $A; ip netns add $B; ip netns add $F
ip netns exec $A nft -f $AFTER_DIR/$SHAPE-full.nft
ip netns exec $B nft -f $BEFORE_DIR/$SHAPE-full.nft
printf 'add table ip kpj-floor\nadd set ip kpj-floor s { type ipv4_addr . ipv4_addr ; }\n' \
  | ip netns exec $F nft -f -
ADD=$(mktemp); DEL=$(mktemp)
echo 'add element ip kpj-floor s { 10.250.0.1 . 10.250.0.1 }' > $ADD
echo 'delete element ip kpj-floor s { 10.250.0.1 . 10.250.0.1 }' > $DEL
t() { local s=$(date +%s%N); ip netns exec $1 nft -f $2; echo "$3 $(( ($(date +%s%N) - s) / 1000 ))" >> $OUT; }
for i in $(seq 1 $RUNS); do
  t $A $AFTER_DIR/$SHAPE-change-forward.nft after
  t $B $BEFORE_DIR/$SHAPE-change-forward.nft before
  t $F $ADD floor
  t $A $AFTER_DIR/$SHAPE-change-back.nft after
  t $B $BEFORE_DIR/$SHAPE-change-back.nft before
  t $F $DEL floor
done
rm -f $ADD $DEL
for kind in after before floor; do
  grep "^$kind " $OUT | awk '{print $2}' | sort -n | awk -v k=$kind -v s=$SHAPE \
    '{a[NR]=$1} END {printf "%s %s median %.1f ms p90 %.1f ms (%d runs)\n", s, k, a[int((NR+1)/2)]/1000, a[int(NR*0.9+0.5)]/1000, NR}'
done
